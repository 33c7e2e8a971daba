"""Demo data for `make run`: people to sign in as, and two weeks of feedback through the real intake path."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from sqlmodel import Session, select

from feedback import demo_texts, intake, users
from feedback.models import ImportRun, Role, User
from feedback.schemas import UserIn

DEMO_PASSWORD = "feedback-demo"
# (email, name, role, department)
DEMO_USERS = [
    ("admin@example.com", "Ada Admin", Role.admin, None),
    ("manager@example.com", "Wang Fang", Role.manager, "service"),
    ("product.head@example.com", "Li Na", Role.head, "product"),
    ("logistics.head@example.com", "Zhang Wei", Role.head, "logistics"),
    ("service.head@example.com", "Chen Jing", Role.head, "service"),
    ("site.head@example.com", "Liu Yang", Role.head, "site"),
    ("marketing.head@example.com", "Zhao Min", Role.head, "marketing"),
    ("agent@example.com", "Sam Agent", Role.agent, "service"),
    ("agent2@example.com", "Sun Li", Role.agent, "service"),
    ("viewer@example.com", "Vic Viewer", Role.viewer, None),
]


def load_users(session: Session, *, now: datetime) -> int:
    """Create the demo users that do not exist yet; returns how many were created."""
    existing = set(session.exec(select(User.email)))
    created = 0
    for email, name, role, department in DEMO_USERS:
        if email in existing:
            continue
        data = UserIn(email=email, name=name, role=role, password=DEMO_PASSWORD, department=department)
        users.create_user(session, data, now=now)
        created += 1
    return created


CUSTOMERS_EN = ["Emma Wilson", "Liam Carter", "Olivia Brooks", "Noah Hughes", "Ava Turner", "Lucas Reed"]
CUSTOMERS_ZH = ["李娜", "王强", "张敏", "刘洋", "陈静", "赵磊"]
SUPPORT = "support@shop.example"


def demo_mails(*, now: datetime, days: int = 14, seed: int = 7) -> list[bytes]:
    """The demo texts as real MIME mails spread over the last `days` days (UTF-8, one HTML-only, one attachment)."""
    rng = random.Random(seed)
    mails = []
    for i, (language, subject, body) in enumerate(demo_texts.EMAILS):
        names = CUSTOMERS_ZH if language == "zh" else CUSTOMERS_EN
        name = names[i % len(names)]
        sent = now - timedelta(days=rng.randrange(days), hours=rng.randrange(24), minutes=rng.randrange(60))
        message = _mail(name, f"customer{i}@mail.example", subject, body, sent, f"<demo-{i}@mail.example>")
        if i == 2:
            message.add_attachment(b"\x89PNG demo photo", maintype="image", subtype="png", filename="crushed-box.png")
        if i == 6:
            message.clear_content()
            message.set_content(f"<html><body><p>{body}</p></body></html>", subtype="html")
        mails.append(bytes(message))
    follow = _mail(CUSTOMERS_EN[0], "customer0@mail.example", demo_texts.FOLLOW_UP[1], demo_texts.FOLLOW_UP[2],
                   now - timedelta(hours=3), "<demo-follow-up@mail.example>")
    follow["In-Reply-To"] = "<demo-0@mail.example>"
    auto = _mail("Out Of Office", "ooo@mail.example", demo_texts.AUTO_REPLY[1], demo_texts.AUTO_REPLY[2],
                 now - timedelta(hours=2), "<demo-auto@mail.example>")
    auto["Auto-Submitted"] = "auto-replied"
    return mails + [bytes(follow), bytes(auto)]


def _mail(name: str, address: str, subject: str, body: str, sent: datetime, message_id: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((name, address))
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Date"] = format_datetime(sent)
    message["Message-ID"] = message_id
    message.set_content(body)
    return message


def load_mail(session: Session, *, now: datetime) -> ImportRun:
    """Import the demo mails through the same store path as any mailbox."""
    from feedback.intake.email import parse_message

    items = (parse_message(raw, source=SUPPORT, locator=f"demo/{i}") for i, raw in enumerate(demo_mails(now=now)))
    return intake.import_items(session, items, channel="email", source=SUPPORT, file_name="demo", now=lambda: now)
