"""Ticket search: the words of a ticket's title, customer and feedback text in an indexed table.

Latin text splits into lower-case words; Chinese, written without spaces, into overlapping pairs of
characters, so a two-character word like 物流 is found inside any sentence. A query matches the
tickets holding every one of its words; its last word also matches as a prefix ("refu" finds
"refund"). One portable table serves SQLite and PostgreSQL alike, and tests empty it like any other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Session

from feedback.models import Ticket, TicketWord

CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+)")
WORD = re.compile(r"[^\W_]+")
MAX_LENGTH = 40  # the column's size; longer words are cut
MAX_QUERY_WORDS = 8
PREFIX_MIN = 3  # shorter last words match whole words only: "a" would match half the index


def words(text: str) -> list[str]:
    """The distinct search words of a text, in order of appearance."""
    found: dict[str, None] = {}
    for run in WORD.findall((text or "").lower()):
        if run.isascii():  # most words: nothing to split
            found[run[:MAX_LENGTH]] = None
            continue
        for part in CJK.split(run):
            if not part:
                continue
            if CJK.fullmatch(part):
                pairs = [part] if len(part) == 1 else [part[i:i + 2] for i in range(len(part) - 1)]
                found.update(dict.fromkeys(pairs))
            else:
                found[part[:MAX_LENGTH]] = None
    return list(found)


def document_words(texts: Iterable[str], limit: int) -> list[str]:
    """Up to `limit` distinct words of several texts, the earlier texts first (title, customer, then text)."""
    found: dict[str, None] = {}
    for text in texts:
        for word in words(text):
            found[word] = None
            if len(found) >= limit:
                return list(found)
    return list(found)


def add(session: Session, ticket_words: dict[int, list[str]]) -> None:
    """Index words for tickets ({ticket id: words}); words already indexed are skipped."""
    if not any(ticket_words.values()):
        return
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":  # bulk intake indexes ~30 words a ticket: plain tuples, one executemany in C
        session.connection().exec_driver_sql(  # in key order: each index page is visited once, not once a ticket
            f"INSERT INTO {TicketWord.__table__.name} (word, ticket_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            sorted((w, t) for t, ws in ticket_words.items() for w in ws),
        )
        return
    rows = [{"word": w, "ticket_id": t} for t, ws in ticket_words.items() for w in ws]
    insert = postgresql.insert(TicketWord.__table__)
    session.connection().execute(insert.on_conflict_do_nothing(), rows)


def replace(session: Session, ticket_id: int, ticket_words: list[str]) -> None:
    """Index a ticket afresh (after a merge, split or re-routing changed what it holds)."""
    session.execute(sa.delete(TicketWord).where(TicketWord.ticket_id == ticket_id))
    add(session, {ticket_id: ticket_words})


def condition(query: str, *, narrowed: bool = False):
    """A WHERE condition on Ticket for a search query, or None when it has no words.

    `narrowed`: the other conditions already pick a few thousand tickets (the ones not closed);
    then the words only check those, instead of SQLite fetching every ticket holding a common word.
    """
    wanted = words(query)[:MAX_QUERY_WORDS]
    if not wanted:
        return None
    ticket_id = Ticket.id + 0 if narrowed else Ticket.id  # "+ 0" keeps the planner from driving by ticket id
    conditions = [ticket_id.in_(sa.select(TicketWord.ticket_id).where(TicketWord.word == w)) for w in wanted[:-1]]
    last = wanted[-1]
    if len(last) >= PREFIX_MIN and not CJK.fullmatch(last):
        # Every word starting with `last` sorts in [last, last+1) in byte order (the column collates "C").
        upper = last[:-1] + chr(ord(last[-1]) + 1)
        match = sa.and_(TicketWord.word >= last, TicketWord.word < upper)
    else:
        match = TicketWord.word == last
    conditions.append(ticket_id.in_(sa.select(TicketWord.ticket_id).where(match)))
    return sa.and_(*conditions)
