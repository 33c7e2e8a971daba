"""Injection: hostile customer text stays text on every page; SQL metacharacters are just characters.

Payloads go in through the real adapters (mail parser, forum post, review export, public form, API),
then a signed-in crawler follows every link of the tracker and parses each HTML page for live markup:
event-handler attributes, inline scripts, javascript: URLs.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from email.message import EmailMessage
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from feedback import clock, intake, tokens
from feedback.intake import Rejected
from feedback.intake.email import parse_message
from feedback.intake.forum import post_item
from feedback.intake.reviews import read_reviews
from feedback.intake.tabular import Mapping
from tests.factories import NOW, make_ticket
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401

TEMPLATES = ('<script>alert("{m}")</script>', '<img src=x onerror=alert("{m}")>',
             '[click here](javascript:alert("{m}"))', '"><svg onload=alert("{m}")>x')
FIELDS = ("mail-subject", "mail-body", "mail-name", "mail-file", "forum-html", "forum-name", "review-text",
          "review-author", "form-name", "form-message", "api-subject", "api-customer", "quarantine")
MAX_PAGES = 400
PER_SHAPE = 12


def payload(field: str) -> str:
    """Every kind of payload, each naming the field it was put in (the marker)."""
    return " ".join(t.format(m=f"xss-{field}") for t in TEMPLATES)


class LiveMarkup(HTMLParser):
    """Collects what a browser would run: on* attributes, inline <script>, javascript: URLs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.found.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and \
                    (value or "").strip().lower().replace("\t", "").startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def test_the_check_finds_live_markup():
    """The page check can fail: unescaped payloads are reported, escaped ones are not."""
    live, inert = LiveMarkup(), LiveMarkup()
    live.feed(payload("x") + '<a href=" javascript:alert(1)">x</a>')
    inert.feed(html.escape(payload("x")))
    assert len(live.found) == 4 and inert.found == []


def _mail() -> bytes:
    message = EmailMessage()
    message["From"] = f'"{payload("mail-name")}" <evil@customer.example>'
    message["To"] = "support@shop.example"
    message["Subject"] = payload("mail-subject")
    message["Message-ID"] = "<xss-1@customer.example>"
    message["Date"] = "Tue, 24 Nov 2026 09:00:00 +0800"
    message.set_content("My parcel is late. " + payload("mail-body"))
    message.add_alternative(f"<p>My parcel is late.</p><script>alert('xss-html')</script><img src=x onerror=alert(1)>",
                            subtype="html")
    message.add_attachment(b"<script>alert(1)</script>", maintype="text", subtype="html",
                           filename=f'{payload("mail-file")}.html')
    return message.as_bytes()


def _store_everything(app, client, session, tmp_path) -> None:
    mail = parse_message(_mail(), source="support@shop.example")
    cooked = f"<p>The box was crushed. <code>{html.escape(payload('forum-html'))}</code></p>{payload('forum-html')}"
    post = {"id": 77, "cooked": cooked, "name": payload("forum-name"), "username": "crushed", "topic_title": "Box"}
    quarantined = Rejected("email", "support@shop.example", payload("quarantine").encode(), payload("quarantine"))
    intake.import_items(session, [mail, post_item(post, "community", NOW), quarantined], channel="email",
                        source="support@shop.example", now=lambda: NOW)
    export = tmp_path / "reviews.csv"
    export.write_text(f'text,rating,author,product\n"{payload("review-text").replace(chr(34), chr(34) * 2)}",1,'
                      f'"{payload("review-author").replace(chr(34), chr(34) * 2)}",SKU-1\n', encoding="utf-8")
    intake.import_items(session, read_reviews(export, source="shop", mapping=Mapping(), now=NOW), channel="review",
                        source="shop", now=lambda: NOW)
    client.post("/contact", data={"name": payload("form-name"), "contact": "x@example.com",
                                  "message": "Late again. " + payload("form-message"), "nonce": "n1"})
    _, plain = tokens.create_token(session, name="shop", scopes=["feedback:write"], user=None, now=NOW)
    item = {"channel": "email", "subject": payload("api-subject"), "customer": payload("api-customer"),
            "text": "The courier was rude. " + payload("api-subject")}
    response = client.post("/api/v1/feedback", json=item, headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 201, response.text


def _crawl(client, seeds: list[str]) -> dict[str, str]:
    """Same-site pages reachable from the seeds (GET links only), as HTML text.

    At most PER_SHAPE pages of one shape (digits and query values aside): enough for every item
    stored here, not a walk through every day of a calendar or every sort order of a list.
    """
    pages, queue, shapes = {}, list(seeds), Counter()
    while queue and len(pages) < MAX_PAGES:
        path = queue.pop(0).split("#")[0]
        shape = _shape(path)
        if path in pages or shapes[shape] >= PER_SHAPE:
            continue
        shapes[shape] += 1
        response = client.get(path)
        assert response.status_code < 500, f"{path}: {response.status_code}"
        pages[path] = response.text if response.mimetype == "text/html" else ""
        queue += [link for link in _links(pages[path]) if link not in pages]
    return pages


def _shape(path: str) -> str:
    parts = urlsplit(path)
    return re.sub(r"\d+", "N", parts.path) + "?" + ",".join(sorted(parse_qs(parts.query)))


def _links(page: str) -> list[str]:
    class Links(HTMLParser):
        found: list[str] = []

        def handle_starttag(self, tag, attrs):
            href = dict(attrs).get("href") or ""
            parts = urlsplit(href)
            if tag == "a" and href.startswith("/") and not parts.netloc and not parts.path.startswith("/static"):
                self.found.append(href)

    parser = Links()
    parser.found = []
    parser.feed(page)
    return parser.found


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_customer_text_never_renders_as_html(app, client, session, login, tmp_path, role):
    _store_everything(app, client, session, tmp_path)
    login(role)
    day = clock.business_date(NOW).isoformat()
    seeds = ["/", f"/products/bad-reviews?day={day}", "/quarantine?status=all", "/tickets?view=all", f"/bulletins/{day}"]
    pages = _crawl(client, seeds)
    print(f"\n{role}: {len(pages)} pages crawled, {len(FIELDS)} fields × {len(TEMPLATES)} payloads")
    live = {}
    for path, text in pages.items():
        parser = LiveMarkup()
        parser.feed(text)
        if parser.found:
            live[path] = parser.found
    assert not live, live
    shown = "\n".join(pages.values())
    missing = [f for f in FIELDS if f"xss-{f}" not in shown]
    assert len(pages) > 20 and not missing, f"payloads never displayed (the test would prove nothing): {missing}"


def test_raw_input_and_attachments_download_instead_of_rendering(app, client, session, login, tmp_path):
    _store_everything(app, client, session, tmp_path)
    login("manager")
    pages = _crawl(client, ["/feedback"])
    downloads = [p for p in pages if p.startswith("/attachments/") or p.endswith("/raw")]
    assert any(p.startswith("/attachments/") for p in downloads)
    for path in downloads:
        response = client.get(path)
        assert response.mimetype == "application/octet-stream" and response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_bulletin_and_its_mail_keep_customer_text_inert(app, client, session, login, smtp_inbox):
    """New problems are listed with their titles (the customer's subject) in the page and the mail."""
    for field in ("bulletin-title", "bulletin-resolution"):
        make_ticket(session, subject=payload(field), customer=payload("bulletin-customer"))
    app.config["BULLETIN_RECIPIENTS"] = ["boss@shop.example"]
    login("manager")
    day = clock.business_date(NOW).isoformat()
    assert client.post(f"/bulletins/{day}/draft").status_code == 302
    assert client.post(f"/bulletins/{day}/issue").status_code == 302
    page = client.get(f"/bulletins/{day}").text
    mails = [part.get_content() for m in smtp_inbox.to("boss@shop.example") for part in m.walk()
             if part.get_content_type() == "text/html"]
    assert "xss-bulletin-title" in page and mails and all("xss-bulletin-title" in html for html in mails)
    for html in [page, *mails]:
        parser = LiveMarkup()
        parser.feed(html)
        assert not parser.found, parser.found
