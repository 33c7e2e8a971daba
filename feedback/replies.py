"""Customer replies: templates per category and language, filled for a ticket, sent by mail and recorded.

Placeholders are {customer}, {order}, {due_date} and {ticket}; anything else in braces stays as
written (no str.format: a template must not reach attributes of the values). The subject always
carries the ticket number, so the customer's answer joins the ticket again at intake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clock, history, mail, playbooks, reference, tickets
from feedback.errors import Forbidden, Invalid
from feedback.models import Category, Feedback, ReplyTemplate, Ticket, User

PLACEHOLDER = re.compile(r"\{(customer|order|due_date|ticket)\}")
EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
LANGUAGES = ("en", "zh")
MAX_BODY = 20_000
# What a placeholder becomes when the ticket lacks the value, per language.
MISSING = {
    "en": {"customer": "customer", "order": "your order", "due_date": "soon", "ticket": ""},
    "zh": {"customer": "顾客", "order": "您的订单", "due_date": "尽快", "ticket": ""},
}


@dataclass
class Filled:
    """A template filled for one ticket: what the reply form starts from."""

    language: str
    subject: str
    body: str


def values(session: Session, ticket: Ticket, language: str = "en", *, items: list[Feedback] | None = None) -> dict[str, str]:
    """The placeholder values of a ticket: the first customer name, order, local due date, number.

    `items`: the ticket's feedback in arrival order when the caller has it already (the ticket page does).
    """
    if items is None:
        first = session.execute(
            sa.select(Feedback.customer).where(Feedback.ticket_id == ticket.id, Feedback.customer != "")
            .order_by(Feedback.received_at, Feedback.id).limit(1)
        ).scalar_one_or_none()
    else:
        first = next((f.customer for f in items if f.customer), None)
    fallback = MISSING.get(language, MISSING["en"])
    return {
        "customer": first or fallback["customer"],
        "order": ticket.order_ref or fallback["order"],
        "due_date": clock.local(ticket.due_at).strftime("%Y-%m-%d") if ticket.due_at else fallback["due_date"],
        "ticket": tickets.number(ticket.id),
    }


def fill(text: str, known: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: known[m.group(1)], text or "")


def templates(session: Session, category_id: int | None) -> list[ReplyTemplate]:
    if category_id is None:
        return []
    return list(session.execute(
        sa.select(ReplyTemplate).where(ReplyTemplate.category_id == category_id).order_by(ReplyTemplate.language)
    ).scalars())


def filled_for(session: Session, ticket: Ticket, *, items: list[Feedback] | None = None) -> list[Filled]:
    """Each of the category's templates filled for this ticket (`items` as for values())."""
    result = []
    for template in reference.reply_templates(session, ticket.category_id) if ticket.category_id else []:
        known = values(session, ticket, template.language, items=items)
        result.append(Filled(template.language, fill(template.subject, known), fill(template.body, known)))
    return result


def customer_address(session: Session, ticket: Ticket, *, items: list[Feedback] | None = None) -> str:
    """The customer's email: the ticket's contact, else the first feedback contact that is one."""
    if EMAIL.match(ticket.contact or ""):
        return ticket.contact
    contacts = (f.contact for f in items) if items is not None else session.execute(
        sa.select(Feedback.contact).where(Feedback.ticket_id == ticket.id).order_by(Feedback.received_at, Feedback.id)
    ).scalars()
    return next((c for c in contacts if EMAIL.match(c or "")), "")


def send_reply(session: Session, config: dict, ref: str | int, subject: str, body: str, *, by: User, now: datetime) -> str:
    """Mail a reply to the ticket's customer and record it on the ticket; returns the address it went to.

    Anyone who may comment on the ticket may answer the customer. Placeholders left in the text are filled.
    """
    ticket = tickets.get_ticket(session, ref)
    tickets.require(by, ticket, "comment")
    address = customer_address(session, ticket)
    if not address:
        raise Invalid("this ticket has no customer email address to reply to")
    known = values(session, ticket)
    text, title = fill(_text(body, "reply"), known).strip(), " ".join(fill(_text(subject, "subject"), known).split())
    if known["ticket"] not in title:
        title = f"{title} [{known['ticket']}]"
    try:
        mail.send(config, [mail.Outgoing(to=address, subject=title, text=text, ticket_number=known["ticket"])])
    except mail.MailError as exc:
        raise Invalid(f"the reply could not be sent: {exc}") from exc
    history.record(session, [history.event(ticket.id, "reply", "", text, by=by, now=now, note=f"{address}: {title}")])
    ticket.updated_at = now
    session.commit()
    return address


def _text(value: str | None, name: str) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if not text:
        raise Invalid(f"{name}: required")
    if len(text) > MAX_BODY:
        raise Invalid(f"{name}: at most {MAX_BODY} characters")
    return text


def save_template(session: Session, category: Category, language: str, subject: str, body: str, *,
                  by: User, now: datetime) -> ReplyTemplate:
    """Write a category's reply template in one language (the same people who edit its playbook)."""
    if not playbooks.may_edit(by, category):
        raise Forbidden(f"you may not edit the reply templates of {category.key}")
    if language not in LANGUAGES:
        raise Invalid(f"language: one of {', '.join(LANGUAGES)}")
    template = _template(session, category.id, language) or ReplyTemplate(category_id=category.id, language=language)
    template.subject, template.body = _text(subject, "subject")[:300], _text(body, "reply")
    template.updated_by_id, template.updated_at = by.id, now
    session.add(template)
    session.commit()
    return template


def _template(session: Session, category_id: int, language: str) -> ReplyTemplate | None:
    return session.execute(
        sa.select(ReplyTemplate).where(ReplyTemplate.category_id == category_id, ReplyTemplate.language == language)
    ).scalar_one_or_none()


def add_defaults(session: Session, category: Category, shipped: dict, *, now: datetime) -> int:
    """Add the shipped templates ({"en": {"subject", "body"}, "zh": …}) a category lacks; returns how many."""
    added = 0
    for language in LANGUAGES:
        if language in shipped and _template(session, category.id, language) is None:
            item = shipped[language]
            session.add(ReplyTemplate(category_id=category.id, language=language, subject=item["subject"].strip(),
                                      body=item["body"].strip(), updated_at=now))
            added += 1
    return added
