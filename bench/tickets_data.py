"""Bulk-builds the ticket benchmark's instance: feedback and tickets made by the tracker's own rules.

Titles, priorities, due dates and search words come from the same functions intake uses
(grouping.title_of, assign.priority_of, sla.due_at, search.document_words); only the writing is
different: executemany batches on SQLite, COPY on PostgreSQL, instead of the per-batch intake path.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

import sqlalchemy as sa

from feedback import assign, clock, grouping, search, sla, users
from feedback.db import session_scope
from feedback.models import Category, Department
from feedback.schemas import UserIn

PASSWORD = "bench-password-1"
PRODUCTS = ["kettle", "blender", "headphones", "backpack", "sneakers", "lamp", "router", "toaster", "jacket", "monitor",
            "keyboard", "stroller", "mattress", "camera", "vacuum", "drone", "speaker", "watch", "charger", "umbrella"]
PRODUCTS_ZH = ["水壶", "耳机", "背包", "台灯", "路由器", "外套", "键盘", "相机", "音箱", "手表"]
TEXTS = {
    "product": (["The {p} I bought stopped working after two days.", "My {p} is not as described, the colour is wrong.",
                 "Quality of this {p} is poor, it feels cheap."], ["买的{p}质量太差，用了两天就坏了。", "{p}和描述不符，颜色不对。"]),
    "logistics": (["Order {o}: the {p} is three days late and tracking has not moved.", "The courier left my {p} at the wrong door.",
                   "My {p} arrived crushed, the box was damaged."], ["订单{o}的{p}还没送到，物流太慢了。", "快递员态度差，{p}包装破损。"]),
    "service": (["Nobody answered my emails about the {p} refund for a week.", "The agent was rude when I asked about my {p}.",
                 "Return of the {p} was refused without a reason."], ["客服一直不回复{p}退款的问题。", "{p}退货申请被拒绝了。"]),
    "site": (["Checkout fails when I try to pay for the {p}.", "The app crashes on the {p} page."], ["APP下单{p}时一直报错。"]),
    "marketing": (["The {p} price went up the day after I bought it.", "Coupon did not apply to the {p}."], ["{p}降价了要求保价。"]),
}
CHANNELS = ["email", "phone", "forum", "review", "survey"]
EVENT_COLUMNS = ("ticket_id", "at", "by_id", "field", "old", "new", "note")


def make_people(engine, now: datetime) -> dict[str, list]:
    """A manager, a head and four agents per department; assignment rules of every kind."""
    found: dict[str, list] = {}
    with session_scope(engine) as session:
        users.create_user(session, UserIn(email="manager@bench.example", name="Bench Manager", role="manager",
                                          password=PASSWORD), now=now)
        rules = {"logistics": "round_robin", "service": "least_open", "marketing": "queue"}
        for department in session.execute(sa.select(Department).order_by(Department.id)).scalars():
            department.assign_rule = rules.get(department.key, "head")
            members = [users.create_user(session, UserIn(email=f"{department.key}.head@bench.example", name=f"{department.key} head",
                                                         role="head", department=department.key, password=PASSWORD), now=now)]
            members += [users.create_user(session, UserIn(email=f"{department.key}.agent{i}@bench.example", name=f"{department.key} agent {i}",
                                                          role="agent", department=department.key, password=PASSWORD), now=now)
                        for i in range(4)]
            found[department.key] = [(u.id, u.name) for u in members]
        session.commit()
    return found


class Owners:
    """The department rules over the bench's people (round robin and least-open both turn in order here)."""

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


def _status(age_days: float, rng: random.Random) -> str:
    """Old tickets are nearly all closed; recent ones are still being worked on."""
    roll = rng.random()
    if age_days > 10:
        return "closed" if roll < 0.97 else "resolved" if roll < 0.985 else "open"
    if age_days > 3:
        return "closed" if roll < 0.6 else "resolved" if roll < 0.75 else "in_progress" if roll < 0.9 else "open"
    return "closed" if roll < 0.1 else "resolved" if roll < 0.2 else "in_progress" if roll < 0.5 else "open"


def _items_per_ticket(rng: random.Random) -> int:
    roll = rng.random()
    return 1 if roll < 0.35 else rng.randint(2, 3) if roll < 0.65 else rng.randint(4, 8) if roll < 0.9 else rng.randint(9, 15)


def build(engine, *, feedback: int, tickets: int, now: datetime, seed: int = 7) -> dict:
    """Write the people, tickets, their feedback, events and search words, then the other feedback."""
    rng = random.Random(seed)
    people = make_people(engine, now)
    with session_scope(engine) as session:
        categories = [c for c in session.execute(sa.select(Category)).scalars() if c.department_id and c.key not in grouping.NO_TICKET]
        departments = dict(session.execute(sa.select(Department.id, Department.key)).all())
        rules = dict(session.execute(sa.select(Department.key, Department.assign_rule)).all())
        other = {c.key: c.id for c in session.execute(sa.select(Category)).scalars() if c.key in grouping.NO_TICKET}
        sla_rules = sla.rules(session)
    writer = Writer(engine)
    owners = Owners(people, rules)
    next_feedback = 1
    span = timedelta(days=730)
    for start in range(0, tickets, 5000):
        ticket_rows, feedback_rows, events, words = [], [], [], []
        for ticket_id in range(start + 1, min(start + 5000, tickets) + 1):
            opened = now - span * (1 - (ticket_id / tickets)) - timedelta(minutes=rng.randrange(600))
            category = rng.choice(categories)
            department = departments[category.department_id]
            count = _items_per_ticket(rng)
            items = _items(rng, next_feedback, ticket_id, category, department, opened, count)
            next_feedback += count
            feedback_rows += [i[1] for i in items]
            ticket_rows.append(_ticket(ticket_id, category, department, [i[0] for i in items], owners, sla_rules,
                                       now, rng, events, words))
        writer.tickets(ticket_rows)
        writer.feedback(feedback_rows)
        writer.events(events)
        writer.words(words)
    rest = max(0, feedback - next_feedback + 1)
    for start in range(0, rest, 20000):
        rows = [_loose(rng, next_feedback + i, other, now, span) for i in range(start, min(start + 20000, rest))]
        writer.feedback(rows)
    writer.finish(feedback=next_feedback - 1 + rest, tickets=tickets)
    return {"feedback": next_feedback - 1 + rest, "tickets": tickets}


def _items(rng, first_id: int, ticket_id: int, category, department: str, opened: datetime, count: int) -> list:
    """The feedback items of one ticket: the same customer (or the same order), within the grouping window."""
    customer = rng.randrange(150_000)
    order = f"SO-{rng.randrange(10**7):07d}"
    product = rng.choice(PRODUCTS)
    out = []
    for n in range(count):
        channel = "phone" if n == 1 else rng.choice(CHANNELS)
        zh = rng.random() < 0.4
        english, chinese = TEXTS[department]
        text = (rng.choice(chinese) if zh else rng.choice(english)).format(p=rng.choice(PRODUCTS_ZH) if zh else product, o=order)
        received = opened + timedelta(hours=rng.uniform(0, 120) if n else 0)
        rating = rng.randint(1, 3) if channel == "review" else None
        item = grouping.Item(first_id + n, channel, received, category.id, ticket_id, "", f"c{customer}@mail.example",
                             order, f"Customer {customer}", rating, False, "" if channel == "phone" else text[:60], text)
        out.append((item, _feedback_row(item, "zh" if zh else "en")))
    return out


def _feedback_row(item: grouping.Item, language: str) -> dict:
    return {
        "id": item.id, "channel": item.channel, "source": f"bench-{item.channel}", "external_id": f"bench-{item.id}",
        "received_at": item.received_at, "business_date": clock.business_date(item.received_at), "customer": item.customer,
        "contact": item.contact, "order_ref": item.order_ref, "product_ref": "", "rating": item.rating,
        "key_product_alert": False, "subject": item.subject, "body": item.text, "text": item.text, "language": language,
        "raw": item.text.encode(), "category_id": item.category_id, "confidence": 0.9, "classified_by": "rule",
        "not_a_problem": "", "ticket_id": item.ticket_id, "created_at": item.received_at,
    }


def _loose(rng, feedback_id: int, other: dict[str, int], now: datetime, span: timedelta) -> dict:
    """Feedback that opened no ticket: praise, and `other` waiting in triage."""
    received = now - span * rng.random()
    key = "praise" if rng.random() < 0.8 else "other"
    text = f"Love the {rng.choice(PRODUCTS)}, great service!" if key == "praise" else "Do you ship to Macau?"
    item = grouping.Item(feedback_id, rng.choice(CHANNELS), received, other[key], None, "", f"c{rng.randrange(150_000)}@mail.example",
                         "", "Customer", 5 if key == "praise" else None, False, text[:60], text)
    return _feedback_row(item, "en")


def _ticket(ticket_id: int, category, department: str, items: list, owners: Owners, sla_rules, now: datetime,
            rng: random.Random, events: list, words: list) -> dict:
    """One ticket row by the tracker's rules, with its history and search words appended to the lists given."""
    first = items[0]
    priority = assign.priority_of(category, items)
    due = sla.due_at(first.received_at, sla.hours_for(sla_rules, category, priority))
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
        "order_ref": first.order_ref, "due_at": due, "opened_at": first.received_at,
        "resolved_at": done if status in ("resolved", "closed") else None, "closed_at": done if status == "closed" else None,
        "updated_at": done if status != "open" else first.received_at, "resolution": resolution,
        "feedback_count": len(items), "key_product": False,
    }


class Writer:
    """Bulk writes: executemany on SQLite (foreign keys off while loading), COPY on PostgreSQL."""

    def __init__(self, engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.raw = engine.raw_connection()
        if not self.postgres:
            self.raw.execute("PRAGMA foreign_keys=OFF")
            self.raw.execute("PRAGMA synchronous=OFF")
            self.raw.execute("PRAGMA cache_size=-1000000")

    def _write(self, table: str, columns: tuple, rows: Iterator[tuple]) -> None:
        cursor = self.raw.cursor()
        if self.postgres:
            with cursor.copy(f"COPY \"{table}\" ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', [tuple(map(_sqlite, r)) for r in rows])
        self.raw.commit()

    def tickets(self, rows: list[dict]) -> None:
        self._write("ticket", tuple(rows[0]), (tuple(r.values()) for r in rows))

    def feedback(self, rows: list[dict]) -> None:
        if rows:
            self._write("feedback", tuple(rows[0]), (tuple(r.values()) for r in rows))

    def events(self, rows: list[tuple]) -> None:
        self._write("ticketevent", EVENT_COLUMNS, iter(rows))

    def words(self, rows: list[tuple]) -> None:
        self._write("ticketword", ("word", "ticket_id"), iter(rows))

    def finish(self, *, feedback: int, tickets: int) -> None:
        """Sequences past the explicit ids, fresh planner statistics."""
        cursor = self.raw.cursor()
        if self.postgres:
            for table, last in (("feedback", feedback), ("ticket", tickets)):
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})")
            self.raw.commit()
            self.raw.driver_connection.autocommit = True
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
            self.raw.commit()
        self.raw.close()


def _sqlite(value):
    """Values as SQLAlchemy stores them in SQLite (UTC datetimes as naive ISO text)."""
    if isinstance(value, datetime):
        return value.astimezone(clock.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value

