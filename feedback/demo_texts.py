"""Demo feedback texts, written by the team for `make run` (no third-party data ships in the package).

Each entry: (language, subject, body). The mix leans on delivery and quality problems, as real
complaint data does, with some praise and questions in between.
"""

EMAILS = [
    ("en", "Order still not here after 9 days", "Hello, I ordered a rice cooker on the 3rd (order SO-2026-48113) and the tracking page has said 'in transit' for a week. You promised delivery in 3 days. When will it arrive?"),
    ("en", "Wrong size sent", "I ordered the jacket in L and received an S. The label on the bag even says L. Please send the right size, order SO-2026-48391."),
    ("en", "Box arrived crushed", "The parcel arrived with one corner completely crushed and two of the six glasses inside are broken. I have photos. Order SO-2026-48502."),
    ("en", "Refund taking forever", "I returned the headphones three weeks ago, the return was confirmed on the 5th, and I still have not received my refund. Every time I ask I get the same template answer."),
    ("en", "Nobody answers the chat", "I have been trying to reach customer service for two days. The chat says an agent will join shortly and then nothing happens. The phone line just rings."),
    ("en", "Blender stopped working after a week", "The blender made a burning smell on the eighth day and now does not start at all. This is really poor quality for the price."),
    ("en", "Colour nothing like the photo", "The sofa cover in the photos is a warm grey. What I received is almost purple. It does not match the description at all."),
    ("en", "Price dropped the day after I bought", "I paid 899 for the vacuum on Monday and on Tuesday it was 749 in the promotion. Can you refund the difference?"),
    ("en", "Cannot pay with my card", "Checkout fails every time at the payment step with 'error 502'. I tried two cards and two browsers."),
    ("en", "Courier was rude and left the parcel downstairs", "The courier refused to bring the parcel to the 5th floor, shouted at my mother and left it at the door of the building."),
    ("en", "Out of stock again", "The baby formula has been sold out for two weeks. Please tell me when it will be back, we depend on it."),
    ("en", "Great service, thank you", "Just wanted to say the replacement arrived the next day and the agent Lily was very kind. Thank you!"),
    ("en", "Please stock bigger sizes", "Your shirts are lovely but nothing is available above XL. Please add larger sizes."),
    ("en", "Parcel marked delivered but never received", "Tracking says delivered yesterday at 14:02 but nothing came. Neighbours have nothing either. Order SO-2026-49020."),
    ("en", "Item missing from my order", "I ordered three items and only two were in the box. The phone case is missing."),
    ("zh", "快递一周了还没到", "你好，我 11 月 3 日下的单（订单号 SO-2026-48877），物流一直显示运输中，说好三天到的，现在一周了还没收到，请尽快处理。"),
    ("zh", "收到的杯子碎了", "包裹外箱被压坏，里面的两个玻璃杯都碎了，包装太简单了，请给我补发或者退款。"),
    ("zh", "退款一直没到账", "退货已经签收十天了，退款还是没有到账，客服每次都说在处理，到底什么时候能退？"),
    ("zh", "客服态度很差", "我咨询发票的问题，客服回答很敷衍，最后直接不回复了，问题到现在也没解决。"),
    ("zh", "衣服色差太大", "实物颜色和图片完全不一样，图片是浅蓝色，收到的是灰色，和商品描述不符。"),
    ("zh", "电饭煲用了三天就坏了", "电饭煲用了三天就不加热了，质量太差了，要求换新。"),
    ("zh", "支付失败", "APP 里下单一直支付失败，提示网络错误，换了微信和支付宝都不行。"),
    ("zh", "发错货了", "我买的是黑色 42 码，寄来的是白色 40 码，发错货了，请尽快换货。"),
    ("zh", "商品一直缺货", "想买的那款奶粉已经断货半个月了，什么时候补货？"),
    ("zh", "快递员不送上楼", "快递员不送上楼，打电话让我自己下楼拿，态度也很差。"),
    ("zh", "价格太贵", "同样的商品别家便宜一百多，你们活动价还比平时贵，优惠券也用不了。"),
    ("zh", "非常满意", "东西很好，包装也很仔细，物流很快，非常满意，会再来买的。"),
    ("zh", "希望增加大码", "衣服款式很好看，可惜没有大码，希望增加 3XL 以上的尺码。"),
]


# A customer's reply to one of the mails above, and an out-of-office answer: both must stay out of
# the problem flow (a follow-up joins its thread; an auto-reply is kept with its reason).
FOLLOW_UP = ("en", "Re: Order still not here after 9 days", "Any news? It is still not here.\n\nOn Mon, you wrote:\n> We are looking into it.")
AUTO_REPLY = ("en", "Automatic reply: your order", "I am out of the office until Monday and will reply when I am back.")


# Marketplace reviews: (language, product ref, rating, title, text). KETTLE-2 and COOKER-5 are the
# demo's key products, so their bad reviews show on the key-products page.
REVIEWS = [
    ("en", "KETTLE-2", 1, "Leaks from the base", "Water pools under the kettle after every boil. Second one in a month."),
    ("en", "KETTLE-2", 5, "Boils fast", "Quiet, quick and the lid opens with one finger. Very happy."),
    ("en", "KETTLE-2", 2, "", "Plastic smell does not go away after ten boils."),
    ("en", "COOKER-5", 1, "Stopped heating", "Worked for four days, now the light is on but nothing heats."),
    ("en", "COOKER-5", 4, "Good rice", "Makes good rice, the manual could be clearer."),
    ("en", "MUG-1", 3, "OK", "Nice colour, smaller than it looks in the photos."),
    ("en", "SOFA-COVER", 2, "Not the colour shown", "Listed as warm grey, arrived almost purple."),
    ("en", "LAMP-3", 5, "", "Exactly as described and well packed."),
    ("zh", "KETTLE-2", 1, "底座漏水", "烧水的时候底座一直漏水，太危险了，要求退货。"),
    ("zh", "COOKER-5", 2, "", "内胆涂层用了一周就开始掉，做饭不放心。"),
    ("zh", "COOKER-5", 5, "好用", "煮饭很香，预约功能很方便，物流也快。"),
    ("zh", "MUG-1", 4, "", "杯子很好看，就是有点小。"),
    ("zh", "LAMP-3", 1, "灯不亮", "收到就不亮，换了插座也不行，客服一直不回复。"),
    ("zh", "SOFA-COVER", 5, "很满意", "尺寸合适，面料舒服，洗了也不缩水。"),
]

# Survey answers: (language, CSAT 1–5, NPS 0–10, comment).
SURVEYS = [
    ("en", 2, 3, "Delivery came two days after the promised date and nobody told me."),
    ("en", 5, 10, "Smooth from order to delivery. Will recommend."),
    ("en", 3, 6, "Fine, but the checkout asked me to log in three times."),
    ("en", 1, 0, "Still waiting for my refund after three weeks."),
    ("zh", 4, 8, "整体不错，希望退货流程再简单一点。"),
    ("zh", 2, 4, "客服回复太慢了，等了两天才有人理我。"),
    ("zh", 5, 9, "包装很用心，下次还会买。"),
]

# Phone calls as agents note them: (language, customer, phone, order, notes).
CALLS = [
    ("en", "Grace Lee", "+86 138 0013 8000", "SO-2026-50112", "Parcel shows delivered but she never got it; neighbours have nothing either."),
    ("en", "Tom Baker", "+86 139 0013 9000", "SO-2026-50230", "Wants to know why the refund for the returned vacuum is not in his account yet."),
    ("en", "Nina Park", "+86 137 0013 7000", "", "Cannot finish payment in the app, error 502 every time."),
    ("zh", "周杰", "13600136000", "SO-2026-50345", "快递员没打电话就把包裹放在小区门口，东西丢了。"),
    ("zh", "吴敏", "13500135000", "SO-2026-50401", "收到的电饭煲外壳有裂痕，要求换货。"),
    ("zh", "郑浩", "13300133000", "", "想问 3XL 的外套什么时候补货。"),
]

# Forum posts on the shop's community forum: (language, author, topic title, text).
FORUM_POSTS = [
    ("en", "kettle_fan", "Kettle base leaking?", "Mine leaks from the base too after a month. Is this a known fault?"),
    ("en", "deal_hunter", "Promotion price was higher than normal", "The 'sale' price of the air fryer is 20 more than last week. Not a real discount."),
    ("en", "night_owl", "App logs me out during checkout", "Every time I reach payment the app logs me out and empties the cart."),
    ("zh", "小米粥", "物流太慢", "下单五天了还在仓库没发货，客服说在排队。"),
    ("zh", "买买买", "赠品没收到", "活动说送杯子，订单里没有，问客服说已经送完了。"),
]
