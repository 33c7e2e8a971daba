"""Volume data (`feedback demo --feedback N`, every benchmark): feedback and tickets built by the tracker's rules.

Realistic rather than uniform: categories skewed like real complaint data (logistics and product
problems dominate, a long tail after them), channels weighted, a customer population where a few
contact often (repeat contacts, several items per ticket, the same order on phone and email), texts
resampled from pools in English and Chinese. Titles, priorities, due dates and search words come from
the same functions intake uses (grouping.title_of, assign.priority_of, sla.due_at,
search.document_words); only the writing differs: executemany on SQLite, COPY on PostgreSQL.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from feedback import assign, clock, grouping, search, sla, users
from feedback.db import session_scope
from feedback.models import Category, Department, Feedback, Ticket, User
from feedback.schemas import UserIn

PASSWORD = "bench-password-1"
DOMAIN = "bench.example"
PRODUCTS = ["kettle", "blender", "headphones", "backpack", "sneakers", "lamp", "router", "toaster", "jacket", "monitor",
            "keyboard", "stroller", "mattress", "camera", "vacuum", "drone", "speaker", "watch", "charger", "umbrella"]
PRODUCTS_ZH = ["水壶", "耳机", "背包", "台灯", "路由器", "外套", "键盘", "相机", "音箱", "手表"]
TEXTS = {  # department → (English pool, Chinese pool); {p} product, {o} order
    "product": (["The {p} I bought stopped working after two days.", "My {p} is not as described, the colour is wrong.",
                 "Quality of this {p} is poor, it feels cheap.", "The {p} has been out of stock for weeks.",
                 "Please offer the {p} in more sizes."],
                ["买的{p}质量太差，用了两天就坏了。", "{p}和描述不符，颜色不对。", "{p}一直缺货，什么时候补货？"]),
    "logistics": (["Order {o}: the {p} is three days late and tracking has not moved.", "The courier left my {p} at the wrong door.",
                   "My {p} arrived crushed, the box was damaged.", "Tracking says delivered but no {p} here (order {o}).",
                   "One item is missing from order {o}."],
                  ["订单{o}的{p}还没送到，物流太慢了。", "快递员态度差，{p}包装破损。", "显示已签收但是没收到{p}。"]),
    "service": (["Nobody answered my emails about the {p} refund for a week.", "The agent was rude when I asked about my {p}.",
                 "Return of the {p} was refused without a reason."], ["客服一直不回复{p}退款的问题。", "{p}退货申请被拒绝了。"]),
    "site": (["Checkout fails when I try to pay for the {p}.", "The app crashes on the {p} page."], ["APP下单{p}时一直报错。"]),
    "marketing": (["The {p} price went up the day after I bought it.", "Coupon did not apply to the {p}."], ["{p}降价了要求保价。"]),
}
OPENERS = ("", "", "Hello, ", "Hi team, ", "Second time I write: ")
CLOSERS = ("", "", " Please help.", " Very disappointed.", " I want a refund.")
PRAISE = ["Love the {p}, great service!", "The {p} arrived early and works perfectly.", "{p}很好用，物流也快，好评！"]
QUESTIONS = ["Do you ship to Macau?", "Can I change the address of order {o}?", "有没有发票？"]
# Shares of problem feedback by department, as in real e-commerce complaint data (a Pareto shape).
DEPARTMENT_SHARE = {"logistics": 0.42, "product": 0.26, "service": 0.18, "site": 0.08, "marketing": 0.06}
# Inside a department, the most common problems first (late parcels, poor quality, slow answers…).
PREVALENT = ["logistics.late", "logistics.wrong_missing_damaged", "logistics.failed", "product.quality",
             "product.not_as_described", "product.out_of_stock", "service.response", "service.returns", "site.usability"]
CHANNELS = {"email": 0.32, "phone": 0.24, "review": 0.2, "survey": 0.14, "forum": 0.1}
CUSTOMERS = 150_000
SPAN = timedelta(days=730)
BATCH = 5000


def make_people(engine, now: datetime) -> dict[str, list]:
    """A manager, a head and four agents per department (created once; reused on a second run)."""
    found: dict[str, list] = {}
    with session_scope(engine) as session:
        rules = {"logistics": "round_robin", "service": "least_open", "marketing": "queue"}
        _person(session, "manager", "Volume Manager", "manager", None, now)
        for department in session.execute(sa.select(Department).order_by(Department.id)).scalars():
            department.assign_rule = rules.get(department.key, "head")
            members = [_person(session, f"{department.key}.head", f"{department.key} head", "head", department.key, now)]
            members += [_person(session, f"{department.key}.agent{i}", f"{department.key} agent {i}", "agent", department.key, now)
                        for i in range(4)]
            found[department.key] = [(u.id, u.name) for u in members]
        session.commit()
    return found


def _person(session, local: str, name: str, role: str, department: str | None, now: datetime) -> User:
    email = f"{local}@{DOMAIN}"
    existing = session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
    return existing or users.create_user(session, UserIn(email=email, name=name, role=role, department=department,
                                                         password=PASSWORD), now=now)


class Owners:
    """The department rules over these people (round robin and least-open both turn in order here)."""

    def __init__(self, people: dict[str, list], rules: dict[str, str]):
        self.people, self.rules, self.turn = people, rules, {k: 0 for k in people}

    def pick(self, department: str):
        rule, members = self.rules.get(department, "head"), self.people[department]
        if rule == "queue":
            return None
        if rule == "head":
            return members[0]
        self.turn[department] += 1
        return members[self.turn[department] % len(members)]


class Mix:
    """Weighted draws: categories (department share, then a long tail inside it), channels, customers, texts."""

    def __init__(self, categories: list, departments: dict[int, str], rng: random.Random):
        self.rng = rng
        by_department: dict[str, list] = {}
        rank = {key: i for i, key in enumerate(PREVALENT)}
        for category in sorted(categories, key=lambda c: (rank.get(c.key, len(PREVALENT)), c.key)):
            by_department.setdefault(departments[category.department_id], []).append(category)
        self.categories, weights = [], []
        for key, members in by_department.items():
            tail = [1 / (rank + 1) ** 1.2 for rank in range(len(members))]
            self.categories += members
            weights += [DEPARTMENT_SHARE.get(key, 0.05) * w / sum(tail) for w in tail]
        self.weights = weights

    def category(self):
        return self.rng.choices(self.categories, self.weights)[0]

    def channel(self) -> str:
        return self.rng.choices(list(CHANNELS), list(CHANNELS.values()))[0]

    def customer(self) -> int:
        return int(CUSTOMERS * self.rng.random() ** 2.5)  # a few customers contact often

    def text(self, pool: tuple[list[str], list[str]] | list[str], product: str, order: str) -> tuple[str, str]:
        """(text, language) resampled from a pool, with the customer's own opening and closing words."""
        english, chinese = pool if isinstance(pool, tuple) else ([t for t in pool if t.isascii()], [t for t in pool if not t.isascii()])
        if chinese and self.rng.random() < 0.4:
            return self.rng.choice(chinese).format(p=self.rng.choice(PRODUCTS_ZH), o=order), "zh"
        core = self.rng.choice(english).format(p=product, o=order)
        return self.rng.choice(OPENERS) + core + self.rng.choice(CLOSERS), "en"


def build(engine, *, feedback: int, tickets: int, now: datetime, seed: int = 7) -> dict:
    """Write the people, tickets with their feedback, events and search words, then feedback without tickets."""
    rng = random.Random(seed)
    people = make_people(engine, now)
    with session_scope(engine) as session:
        categories = [c for c in session.execute(sa.select(Category)).scalars() if c.department_id and c.key not in grouping.NO_TICKET]
        departments = dict(session.execute(sa.select(Department.id, Department.key)).all())
        rules = dict(session.execute(sa.select(Department.key, Department.assign_rule)).all())
        loose = {c.key: c.id for c in session.execute(sa.select(Category)).scalars() if c.key in grouping.NO_TICKET}
        sla_rules = sla.rules(session)
        first_ticket = (session.execute(sa.select(sa.func.max(Ticket.id))).scalar() or 0) + 1
        next_feedback = (session.execute(sa.select(sa.func.max(Feedback.id))).scalar() or 0) + 1
    if not categories:
        raise ValueError("no taxonomy loaded: run `feedback init` first")
    mix, writer, owners = Mix(categories, departments, rng), Writer(engine), Owners(people, rules)
    start_feedback, last_ticket = next_feedback, first_ticket + tickets - 1
    for start in range(first_ticket, last_ticket + 1, BATCH):
        ticket_rows, feedback_rows, events, words = [], [], [], []
        for ticket_id in range(start, min(start + BATCH - 1, last_ticket) + 1):
            opened = now - SPAN * (1 - (ticket_id - first_ticket + 1) / tickets) - timedelta(minutes=rng.randrange(600))
            category = mix.category()
            items = _items(mix, next_feedback, ticket_id, category, departments[category.department_id], opened)
            next_feedback += len(items)
            feedback_rows += [row for _item, row in items]
            ticket_rows.append(_ticket(ticket_id, category, departments[category.department_id], [i for i, _row in items],
                                       owners, sla_rules, now, rng, events, words))
        writer.write_batch(ticket_rows, feedback_rows, events, words)
    rest = max(0, feedback - (next_feedback - start_feedback))
    for start in range(0, rest, 4 * BATCH):
        rows = [_loose(mix, next_feedback + i, loose, now) for i in range(start, min(start + 4 * BATCH, rest))]
        writer.write_batch([], rows, [], [])
    writer.finish(feedback=next_feedback - 1 + rest, tickets=last_ticket)
    return {"feedback": next_feedback - start_feedback + rest, "tickets": tickets}


def _items(mix: Mix, first_id: int, ticket_id: int, category, department: str, opened: datetime) -> list:
    """The feedback items of one ticket: the same customer (or the same order), within the grouping window."""
    rng = mix.rng
    roll = rng.random()
    count = 1 if roll < 0.35 else rng.randint(2, 3) if roll < 0.65 else rng.randint(4, 8) if roll < 0.9 else rng.randint(9, 15)
    customer, order, product = mix.customer(), f"SO-{rng.randrange(10**7):07d}", rng.choice(PRODUCTS)
    out = []
    for n in range(count):
        channel = "phone" if n == 1 else mix.channel()  # a customer who wrote often calls next
        text, language = mix.text(TEXTS[department], product, order)
        received = opened + timedelta(hours=rng.uniform(0, 120) if n else 0)
        rating = rng.randint(1, 3) if channel == "review" else None
        item = grouping.Item(first_id + n, channel, received, category.id, ticket_id, "", f"c{customer}@mail.example",
                             order, f"Customer {customer}", rating, False, "" if channel == "phone" else text[:60], text)
        out.append((item, _feedback_row(item, language, csat=rng.randint(1, 3) if channel == "survey" else None)))
    return out


def _feedback_row(item: grouping.Item, language: str, *, csat: int | None = None, dismissed: str = "") -> dict:
    return {
        "id": item.id, "channel": item.channel, "source": f"volume-{item.channel}", "external_id": f"volume-{item.id}",
        "received_at": item.received_at, "business_date": clock.business_date(item.received_at), "customer": item.customer,
        "contact": item.contact, "order_ref": item.order_ref, "product_ref": "", "rating": item.rating, "csat": csat,
        "key_product_alert": False, "subject": item.subject, "body": item.text, "text": item.text, "language": language,
        "raw": item.text.encode(), "category_id": item.category_id, "confidence": 0.9, "classified_by": "rule",
        "not_a_problem": dismissed, "ticket_id": item.ticket_id, "created_at": item.received_at,
    }


def _loose(mix: Mix, feedback_id: int, loose: dict[str, int], now: datetime) -> dict:
    """Feedback that opened no ticket: praise, and questions (`other`) waiting in triage."""
    rng = mix.rng
    key = "praise" if rng.random() < 0.8 else "other"
    order = f"SO-{rng.randrange(10**7):07d}"
    text, language = mix.text(PRAISE if key == "praise" else QUESTIONS, rng.choice(PRODUCTS), order)
    customer, received = mix.customer(), now - SPAN * rng.random()
    item = grouping.Item(feedback_id, mix.channel(), received, loose[key], None, "",
                         f"c{customer}@mail.example", "", f"Customer {customer}", 5 if key == "praise" else None, False,
                         text[:60], text)
    # Triage is worked daily: only the last week's questions still wait there, older ones were answered.
    answered = key == "other" and received < now - timedelta(days=7)
    return _feedback_row(item, language, dismissed="answered in triage" if answered else "")


def _ticket(ticket_id: int, category, department: str, items: list, owners: Owners, sla_rules, now: datetime,
            rng: random.Random, events: list, words: list) -> dict:
    """One ticket row by the tracker's rules, with its history and search words appended to the lists given."""
    first = items[0]
    priority = assign.priority_of(category, items)
    status = _status((now - first.received_at).total_seconds() / 86400, rng)
    owner = owners.pick(department)
    done = first.received_at + timedelta(hours=rng.uniform(2, 60))
    resolution = "Re-shipped and confirmed with the customer." if status == "closed" else ""
    events.append((ticket_id, first.received_at, None, "status", "", "open", f"feedback #{first.id} ({first.channel})"))
    if owner:
        events.append((ticket_id, first.received_at, None, "owner", "", owner[1], ""))
    if status != "open":
        events.append((ticket_id, done, owner[0] if owner else None, "status", "open", status, ""))
    if resolution:
        events.append((ticket_id, done, None, "resolution", "", resolution, ""))
    title = grouping.title_of(first)
    for word in search.document_words([title, first.customer, first.contact, first.order_ref,
                                       *(i.subject + " " + i.text for i in items)], grouping.WORDS_PER_TICKET):
        words.append((word, ticket_id))
    return {
        "id": ticket_id, "title": title, "category_id": category.id, "department_id": category.department_id,
        "owner_id": owner[0] if owner else None, "priority": priority, "status": status, "contact": first.contact,
        "order_ref": first.order_ref, "due_at": sla.due_at(first.received_at, sla.hours_for(sla_rules, category, priority)),
        "opened_at": first.received_at, "resolved_at": done if status in ("resolved", "closed") else None,
        "closed_at": done if status == "closed" else None, "updated_at": done if status != "open" else first.received_at,
        "resolution": resolution, "feedback_count": len(items), "key_product": False,
    }


def _status(age_days: float, rng: random.Random) -> str:
    """Old tickets are nearly all closed; recent ones are still being worked on."""
    roll = rng.random()
    if age_days > 10:
        return "closed" if roll < 0.97 else "resolved" if roll < 0.985 else "open"
    if age_days > 3:
        return "closed" if roll < 0.6 else "resolved" if roll < 0.75 else "in_progress" if roll < 0.9 else "open"
    return "closed" if roll < 0.1 else "resolved" if roll < 0.2 else "in_progress" if roll < 0.5 else "open"


class Writer:
    """Bulk writes: executemany on SQLite (foreign keys off while loading), COPY on PostgreSQL."""

    EVENT_COLUMNS = ("ticket_id", "at", "by_id", "field", "old", "new", "note")

    def __init__(self, engine):
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        if not self.postgres:
            for pragma in ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-1000000"):
                self.raw.execute(f"PRAGMA {pragma}")

    def write_batch(self, tickets: list[dict], feedback: list[dict], events: list[tuple], words: list[tuple]) -> None:
        """One transaction: tickets first, then the feedback pointing at them, their events and words."""
        cursor = self.raw.cursor()
        for table, rows, columns in (("ticket", tickets, None), ("feedback", feedback, None),
                                     ("ticketevent", events, self.EVENT_COLUMNS), ("ticketword", words, ("word", "ticket_id"))):
            if rows:
                columns = columns or tuple(rows[0])
                self._write(cursor, table, columns, [tuple(r.values()) if isinstance(r, dict) else r for r in rows])
        self.raw.commit()

    def _write(self, cursor, table: str, columns: tuple, rows: list[tuple]) -> None:
        names = ", ".join(columns)
        if self.postgres:
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', [tuple(map(_sqlite, r)) for r in rows])

    def finish(self, *, feedback: int, tickets: int) -> None:
        """Sequences past the explicit ids, fresh planner statistics."""
        cursor = self.raw.cursor()
        if self.postgres:
            for table, last in (("feedback", feedback), ("ticket", tickets)):
                if last:
                    cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")
            self.raw.commit()
            self.raw.driver_connection.autocommit = True
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
            self.raw.commit()
            for pragma in ("foreign_keys=ON", "synchronous=NORMAL"):  # the connection goes back to the pool
                self.raw.execute(f"PRAGMA {pragma}")
        self.raw.close()


def _sqlite(value):
    """Values as SQLAlchemy stores them in SQLite (UTC datetimes as naive ISO text)."""
    if isinstance(value, datetime):
        return value.astimezone(clock.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
