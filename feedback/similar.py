"""Similar past resolutions: closed tickets of the same category ranked by the words they share with a ticket.

One SQL statement over the ticket search index (`TicketWord`, see search.py), on SQLite and
PostgreSQL alike. A shared word counts 1/n, n being how many tickets hold it (counted up to
POSTINGS): a word most tickets have ("parcel") says little, a rare one ("typhoon") says a lot.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import tickets
from feedback.models import Ticket, TicketStatus, TicketWord

LIMIT = 5
MAX_WORDS = 24  # a ticket's index holds its title and first texts' words first (grouping.WORDS_PER_TICKET)
# Most recent tickets read per word: rare words are read whole, a common one is cut short, so a word
# every ticket holds costs POSTINGS index rows (not the table) and its capped count weighs it as common.
POSTINGS = 100
CANDIDATES = 400  # best-scored tickets checked for category, closed and resolution


@dataclass
class Resolution:
    """A closed ticket like this one: what was done, and how long it took."""

    ticket_id: int
    number: str
    title: str
    resolution: str
    closed_at: datetime | None
    time_to_close: timedelta | None
    score: float
    shared: int


def similar_resolutions(session: Session, ticket: Ticket, *, limit: int = LIMIT) -> list[Resolution]:
    """Closed tickets of the ticket's category with a resolution, best match first."""
    if ticket.category_id is None:
        return []
    mine = list(session.execute(
        sa.select(TicketWord.word).where(TicketWord.ticket_id == ticket.id).limit(MAX_WORDS)
    ).scalars())
    if not mine:
        return []
    params = {f"w{i}": word for i, word in enumerate(mine)} | {"postings": POSTINGS, "candidates": CANDIDATES}
    ranked = [r for r in session.execute(_ranking(len(mine)), params).all() if r.ticket_id != ticket.id]
    found = {t.id: t for t in session.execute(sa.select(Ticket).where(
        Ticket.id.in_([r.ticket_id for r in ranked]), Ticket.category_id == ticket.category_id,
        Ticket.status == TicketStatus.closed, Ticket.resolution != "",
        Ticket.feedback_count > 0,  # a ticket merged away (or left empty) holds no resolution of its own
    )).scalars()}
    best = [r for r in ranked if r.ticket_id in found][:limit]
    return [_resolution(found[r.ticket_id], float(r.score), int(r.shared)) for r in best]


@functools.lru_cache(maxsize=MAX_WORDS)
def _ranking(words: int) -> sa.TextClause:
    """The best-scored tickets sharing words with a ticket of this many words: plain SQL both databases run.

    Only the word index is read; the few best candidates are then checked against the ticket table by
    primary key (joining the table here made PostgreSQL hash a whole category's tickets on every page).
    (As a SQLAlchemy expression its cache key, walked on every call, cost more than running it.)
    """
    parts = " UNION ALL ".join(
        f"SELECT word, ticket_id FROM (SELECT word, ticket_id FROM ticketword WHERE word = :w{i}"
        f" ORDER BY ticket_id DESC LIMIT :postings) AS p{i}"
        for i in range(words)
    )
    return sa.text(
        f"WITH postings AS ({parts}),"
        " frequency AS (SELECT word, count(*) AS n FROM postings GROUP BY word)"
        " SELECT p.ticket_id, sum(1.0 / f.n) AS score, count(*) AS shared"
        " FROM postings AS p JOIN frequency AS f ON f.word = p.word"
        " GROUP BY p.ticket_id ORDER BY score DESC, p.ticket_id DESC LIMIT :candidates"
    )


def _resolution(ticket: Ticket, score: float, shared: int) -> Resolution:
    took = ticket.closed_at - ticket.opened_at if ticket.closed_at and ticket.opened_at else None
    return Resolution(ticket.id, tickets.number(ticket.id), ticket.title, ticket.resolution, ticket.closed_at,
                      took, round(score, 3), shared)


def duration(span: timedelta | None) -> tuple[int, int] | None:
    """(days, hours) of a time to close, for display."""
    if span is None:
        return None
    hours = int(span.total_seconds() // 3600)
    return hours // 24, hours % 24
