"""The outbox: mail is written as a row in the transaction that caused it and sent later by the "outbox" job.

Nothing waits on SMTP in intake or a request, a failed send is retried with backoff, and a mail is
never lost with a rolled-back change nor sent for one. Two schedulers by mistake do no harm: a sender
claims rows with one UPDATE … WHERE sent_at IS NULL AND the lease is free, which only one of them wins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from feedback import mail
from feedback.models import Outbox, User

MAX_BACKOFF = timedelta(days=1)
ASSIGNED = "assigned"  # composed when sent, one mail per recipient and run


@dataclass
class Sent:
    """What one run of the sender did."""

    sent: int = 0
    failed: int = 0
    error: str = ""


def enqueue(session: Session, rows: list[dict], *, now: datetime) -> int:
    """Add mails (dicts of Outbox fields with a dedupe_key); keys already queued are skipped. The caller commits."""
    fresh = {r["dedupe_key"]: r for r in rows}
    if not fresh:
        return 0
    known = set(session.execute(sa.select(Outbox.dedupe_key).where(Outbox.dedupe_key.in_(list(fresh)))).scalars())
    defaults = {"user_id": None, "language": "en", "ticket_number": "", "subject": "", "text": "", "html": "",
                "claimed_by": "", "attempts": 0, "last_error": "", "created_at": now, "next_attempt_at": now}
    new = [defaults | r for key, r in fresh.items() if key not in known]
    if new:
        session.connection().execute(sa.insert(Outbox.__table__), new)
    return len(new)


def enqueue_assigned(session: Session, assigned: list[tuple[int, int]], *, now: datetime) -> int:
    """Queue a notice to each new owner of a ticket: (ticket id, owner id) pairs, in the assigning transaction.

    Only the address and language are read now; the mail is composed when sent, so intake stays cheap.
    """
    if not assigned:
        return 0
    owners = {u.id: u for u in session.execute(
        sa.select(User).where(User.id.in_({o for _, o in assigned}), User.active, User.email != "")).scalars()}
    stamp = now.isoformat()
    return enqueue(session, [
        {"dedupe_key": f"assigned:{ticket_id}:{owner_id}:{stamp}", "kind": ASSIGNED, "user_id": owner_id,
         "to": owners[owner_id].email, "language": owners[owner_id].language or "", "ticket_number": f"FB-{ticket_id:06d}"}
        for ticket_id, owner_id in assigned if owner_id in owners
    ], now=now)


def claim(session: Session, config: dict, *, now: datetime) -> list[Outbox]:
    """Take a batch of due, pending rows under a lease; rows another sender holds are left alone."""
    token = uuid.uuid4().hex
    free = sa.and_(Outbox.sent_at.is_(None), Outbox.attempts < config["OUTBOX_MAX_ATTEMPTS"],
                   sa.or_(Outbox.lease_until.is_(None), Outbox.lease_until <= now))
    due = sa.select(Outbox.id).where(free, Outbox.next_attempt_at <= now).order_by(Outbox.next_attempt_at, Outbox.id)
    # The outer WHERE repeats `free`: PostgreSQL re-checks it on a row another sender just claimed and skips it.
    session.execute(
        sa.update(Outbox).where(Outbox.id.in_(due.limit(config["OUTBOX_BATCH"]).scalar_subquery()), free)
        .values(claimed_by=token, lease_until=now + timedelta(seconds=config["OUTBOX_LEASE_SECONDS"])),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return list(session.execute(sa.select(Outbox).where(Outbox.claimed_by == token).order_by(Outbox.id)).scalars())


def send_pending(session: Session, config: dict, *, now: datetime, compose=None) -> Sent:
    """Send the claimed batch one mail at a time; on a failure note it, back off, and leave the rest for later.

    Assignment notices to one person in the batch go out as one mail (an import opening 300 tickets for
    a head sends one, not 300): `compose(session, rows)` writes it as (subject, text, html).
    """
    result = Sent()
    groups = _grouped(claim(session, config, now=now))
    for index, group in enumerate(groups):
        if group[0].kind == ASSIGNED and not _composed(session, group, compose, config, now=now):
            result.failed += len(group)
            continue
        head = group[0]
        try:
            mail.send(config, [mail.Outgoing(to=head.to, subject=head.subject, text=head.text, html=head.html,
                                             ticket_number=head.ticket_number)])
        except mail.MailError as exc:
            for row in group:
                _failed(row, str(exc), config, now=now)
            _release([row for later in groups[index + 1:] for row in later])
            session.commit()
            result.failed, result.error = result.failed + len(group), str(exc)
            break
        for row in group:
            row.sent_at, row.attempts, row.lease_until, row.last_error = now, row.attempts + 1, None, ""
        session.commit()  # one mail at a time: a crash after a send never sends the earlier ones twice
        result.sent += 1
    return result


def _grouped(rows: list[Outbox]) -> list[list[Outbox]]:
    """Assignment notices grouped by recipient (in order of their first row); every other mail alone."""
    groups: list[list[Outbox]] = []
    by_recipient: dict[str, list[Outbox]] = {}
    for row in rows:
        if row.kind != ASSIGNED:
            groups.append([row])
        elif row.to in by_recipient:
            by_recipient[row.to].append(row)
        else:
            by_recipient[row.to] = [row]
            groups.append(by_recipient[row.to])
    return groups


def _composed(session: Session, group: list[Outbox], compose, config: dict, *, now: datetime) -> bool:
    """Compose a group's mail onto each row; one that cannot be composed (ticket gone) backs off like a failed send."""
    try:
        subject, text, html = compose(session, group)
    except Exception as exc:  # noqa: BLE001  (one bad row must not stop the others)
        for row in group:
            _failed(row, f"compose: {exc}", config, now=now)
        session.commit()
        return False
    for row in group:
        row.subject, row.text, row.html = subject, text, html
    return True


def _failed(row: Outbox, error: str, config: dict, *, now: datetime) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    delay = timedelta(seconds=config["OUTBOX_BACKOFF_SECONDS"] * 2 ** (row.attempts - 1))
    row.next_attempt_at = now + min(delay, MAX_BACKOFF)
    row.lease_until = None


def _release(rows: list[Outbox]) -> None:
    """Rows not tried in this run: free at once for the next one (the server is probably down)."""
    for row in rows:
        row.lease_until = None


def purge(session: Session, config: dict, *, now: datetime) -> int:
    """Delete mail sent more than OUTBOX_KEEP_DAYS ago, and mail given up on as long ago; the caller commits.

    Pending mail is never deleted, however old: it is still owed to somebody.
    """
    cutoff = now - timedelta(days=config["OUTBOX_KEEP_DAYS"])
    sent = sa.and_(Outbox.sent_at.is_not(None), Outbox.sent_at < cutoff)
    given_up = sa.and_(Outbox.sent_at.is_(None), Outbox.attempts >= config["OUTBOX_MAX_ATTEMPTS"], Outbox.created_at < cutoff)
    return session.execute(sa.delete(Outbox).where(sa.or_(sent, given_up))).rowcount


def pending(session: Session) -> list[Outbox]:
    """Mail not sent yet, oldest first (for checks and the command line)."""
    return list(session.execute(sa.select(Outbox).where(Outbox.sent_at.is_(None)).order_by(Outbox.id)).scalars())
