"""IMAP polling: fetch new mail from the configured mailboxes and store it as email feedback.

Crash safety comes from the order of steps per chunk: store (commit), then remember the highest
UID (commit), and only then flag or move the mails on the server. A crash before the second
commit re-reads the chunk next time and `store()` dedupes it by Message-ID; a crash after it
leaves mail stored but unflagged, which the next poll flags (or moves) first. Nothing is lost and
nothing is stored twice.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from feedback import intake
from feedback.intake import email
from feedback.intake import imapwire as wire
from feedback.intake.email import EmailLimits
from feedback.intake.incoming import Rejected
from feedback.models import ImportRun, MailboxState

log = logging.getLogger(__name__)

SECURITY_PORTS = {"ssl": 993, "starttls": 143, "plain": 143}
CHUNK_BYTES = 64 * 1024 * 1024  # at most this much mail is held in memory at once
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


class MailboxError(Exception):
    """A mailbox could not be polled (connection, TLS, login, server errors); it is on `run`."""

    def __init__(self, message: str, *, run: ImportRun | None = None):
        super().__init__(message)
        self.run = run


@dataclass(frozen=True)
class MailboxConfig:
    """One entry of the MAILBOXES setting, checked."""

    name: str
    host: str
    user: str
    password: str = field(repr=False)
    port: int = 0  # 0: the usual port for `security`
    security: str = "ssl"  # ssl | starttls | plain
    folder: str = "INBOX"
    move_to: str | None = None  # folder fetched mail is moved to; None flags it \Seen in place
    source: str = ""  # Feedback.source of its mail; defaults to name
    ca_file: str | None = None
    verify: bool = True
    timeout: float = 60.0  # seconds a silent server may take before the poll gives up


def mailboxes_from_config(config_list: list[dict]) -> list[MailboxConfig]:
    """MAILBOXES as MailboxConfig objects; raises ValueError naming the entry and the problem."""
    if not isinstance(config_list, list):
        raise ValueError("MAILBOXES must be a list of mailbox settings")
    mailboxes = [_mailbox(i, entry) for i, entry in enumerate(config_list)]
    names = [m.name for m in mailboxes]
    if len(set(names)) != len(names):
        raise ValueError(f"MAILBOXES: names must be unique, got {names}")
    return mailboxes


def _mailbox(index: int, entry: dict) -> MailboxConfig:
    """One checked MAILBOXES entry, with defaults filled in."""
    where = f"MAILBOXES[{index}]"
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a dict, got {type(entry).__name__}")
    known = {f.name for f in fields(MailboxConfig)}
    if unknown := sorted(set(entry) - known):
        raise ValueError(f"{where}: unknown setting(s) {unknown}; known: {sorted(known)}")
    where = f"MAILBOXES[{index}] ({entry.get('name', '?')})"
    for key in ("name", "host", "user", "password"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ValueError(f"{where}: {key!r} is required and must be a non-empty string")
    if len(entry["name"]) > 100:
        raise ValueError(f"{where}: 'name' is longer than 100 characters")
    security = entry.get("security", "ssl")
    if security not in SECURITY_PORTS:
        raise ValueError(f"{where}: 'security' must be one of {sorted(SECURITY_PORTS)}, got {security!r}")
    port = entry.get("port") or SECURITY_PORTS[security]
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ValueError(f"{where}: 'port' must be a port number, got {port!r}")
    folder, move_to = entry.get("folder") or "INBOX", entry.get("move_to") or None
    if move_to is not None and (not isinstance(move_to, str) or move_to == folder):
        raise ValueError(f"{where}: 'move_to' must be a folder other than {folder!r}")
    if not isinstance(entry.get("verify", True), bool):
        raise ValueError(f"{where}: 'verify' must be true or false")
    return MailboxConfig(**(entry | {"port": port, "security": security, "folder": folder, "move_to": move_to,
                                     "source": entry.get("source") or entry["name"]}))


def fetch_all(session: Session, mailboxes: list[MailboxConfig], *, now: Callable[[], datetime],
              limits: EmailLimits = EmailLimits()) -> list[ImportRun]:
    """Poll every mailbox; one that fails is logged and on its run, and the others still run."""
    runs = []
    for mailbox in mailboxes:
        try:
            runs.append(fetch_mailbox(session, mailbox, now=now, limits=limits))
        except MailboxError as exc:
            log.warning("%s", exc)
            runs.append(exc.run)
    return runs


def fetch_mailbox(session: Session, mailbox: MailboxConfig, *, now: Callable[[], datetime],
                  limits: EmailLimits = EmailLimits(), chunk: int = 200) -> ImportRun:
    """Fetch the mail that arrived since the last poll, store it, then flag or move it on the server."""
    run = intake.start_run(session, channel="email", source=mailbox.source, now=now(),
                           file_name=f"imap://{mailbox.user}@{mailbox.host}/{mailbox.folder}")
    imap = None
    try:
        imap = _connect(mailbox)
        _poll(session, imap, mailbox, run, now=now, limits=limits, chunk=chunk)
    except BaseException as exc:
        session.rollback()
        message = f"mailbox {mailbox.name!r} ({mailbox.host}:{mailbox.port}): {_describe(exc)}"
        intake.finish_run(session, run, now=now(), error=message)
        if not isinstance(exc, Exception):  # Ctrl-C and exit stay what they are
            raise
        raise MailboxError(message, run=run) from exc
    finally:
        _logout(imap)
    return intake.finish_run(session, run, now=now())


def _describe(exc: BaseException) -> str:
    """The error as a person reads it (imaplib's errors carry the server's words as bytes)."""
    text = exc.args[0] if isinstance(exc, imaplib.IMAP4.error) and exc.args else None
    if text is not None:
        return "server said: " + (text.decode(errors="replace") if isinstance(text, bytes) else str(text))
    return f"{type(exc).__name__}: {exc}"


def _connect(mailbox: MailboxConfig) -> imaplib.IMAP4:
    """An IMAP connection, secured as configured and logged in."""
    if mailbox.security == "ssl":
        imap = imaplib.IMAP4_SSL(mailbox.host, mailbox.port, ssl_context=_tls(mailbox), timeout=mailbox.timeout)
    else:
        imap = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=mailbox.timeout)
    try:
        if mailbox.security == "starttls":
            imap.starttls(ssl_context=_tls(mailbox))  # raises when not offered: never silently plain
        imap.login(mailbox.user, mailbox.password)
        # imaplib keeps the greeting's capabilities; servers announce MOVE, UIDPLUS… after login.
        imap.capabilities = tuple(wire.ok(imap.capability())[-1].decode().upper().split())
    except BaseException:
        imap.shutdown()
        raise
    return imap


def _tls(mailbox: MailboxConfig) -> ssl.SSLContext:
    """Certificate checks on, against the system's CAs or the configured ca_file, unless verify is off."""
    context = ssl.create_default_context(cafile=mailbox.ca_file)
    if not mailbox.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _logout(imap: imaplib.IMAP4 | None) -> None:
    """Close the connection; a failure here changes nothing, as what was stored is committed."""
    try:
        if imap is not None:
            imap.logout()
    except (imaplib.IMAP4.error, OSError):
        pass


def _poll(session, imap, mailbox: MailboxConfig, run: ImportRun, *, now, limits, chunk) -> None:
    """SELECT the folder, then fetch, store and flag the new mail chunk by chunk."""
    wire.ok(imap.select(wire.quote(mailbox.folder)))
    state = _state(session, mailbox.name, _uidvalidity(imap))
    if mailbox.move_to:
        imap.create(wire.quote(mailbox.move_to))  # NO when it exists already, which is what we want
    _finish_stored(imap, mailbox, state.last_uid)
    for mail in _chunks(_new_mail(imap, state.last_uid), chunk, limits):
        items = [_item(mailbox, limits, uid, size, fetched, now) for uid, size, fetched in _fetch(imap, mail, limits)]
        intake.store(session, items, run=run, now=now())
        state.last_uid, state.polled_at = max(uid for uid, _ in mail), now()
        session.commit()
        _done(imap, mailbox, wire.uid_set(uid for uid, _ in mail))
    state.polled_at = now()
    session.commit()


def _finish_stored(imap: imaplib.IMAP4, mailbox: MailboxConfig, last_uid: int) -> None:
    """Flag (or move) mail an earlier poll stored but died before flagging: it is at or below last_uid and
    still unseen (or, when moving, still here). Without this it would stay unflagged for ever."""
    if not last_uid:
        return
    criteria = f"UID 1:{last_uid}" + ("" if mailbox.move_to else " UNSEEN")
    uids = [int(u) for line in wire.ok(imap.uid("SEARCH", criteria)) for u in (line or b"").split()]
    if uids := [u for u in uids if u <= last_uid]:  # `1:n` also matches the highest UID when n is above it
        _done(imap, mailbox, wire.uid_set(uids))


def _uidvalidity(imap: imaplib.IMAP4) -> int:
    """The selected folder's UIDVALIDITY; UIDs are only comparable while it stays the same."""
    _, values = imap.response("UIDVALIDITY")
    return int(values[-1]) if values and values[-1] else 0


def _state(session: Session, name: str, uidvalidity: int) -> MailboxState:
    """The mailbox's state row, created on first poll; a new UIDVALIDITY means UIDs start over."""
    state = session.exec(select(MailboxState).where(MailboxState.mailbox == name)).first()
    if state is None:
        state = MailboxState(mailbox=name)
        session.add(state)
        try:
            session.commit()
        except IntegrityError:  # a second poller created it just now
            session.rollback()
            return _state(session, name, uidvalidity)
    if state.uidvalidity != uidvalidity:
        # The server renumbered the folder: read it all again; store() skips what we already have.
        state.uidvalidity, state.last_uid = uidvalidity, 0
        session.commit()
    return state


def _new_mail(imap: imaplib.IMAP4, last_uid: int) -> list[tuple[int, int]]:
    """(uid, size) of each mail above last_uid: one FETCH tells both, where SEARCH tells only UIDs."""
    found = []
    for line in wire.ok(imap.uid("FETCH", f"{last_uid + 1}:*", "(UID RFC822.SIZE)")):
        line = line[0] if isinstance(line, tuple) else line or b""
        uid, size = wire.UID.search(line), _SIZE.search(line)
        # `n:*` always matches the highest UID, even one we already have.
        if uid and size and int(uid.group(1)) > last_uid:
            found.append((int(uid.group(1)), int(size.group(1))))
    return sorted(set(found))


def _chunks(mail: list[tuple[int, int]], count: int, limits: EmailLimits) -> Iterator[list[tuple[int, int]]]:
    """Runs of at most `count` mails and CHUNK_BYTES, in UID order (a bigger mail goes alone)."""
    run, held = [], 0
    for uid, size in mail:
        fetched = min(size, limits.max_bytes)  # larger mail is fetched header-only
        if run and (len(run) >= count or held + fetched > CHUNK_BYTES):
            yield run
            run, held = [], 0
        run.append((uid, size))
        held += fetched
    if run:
        yield run


def _fetch(imap: imaplib.IMAP4, mail: list[tuple[int, int]], limits: EmailLimits) -> Iterator[tuple[int, int, tuple]]:
    """(uid, size, (raw, INTERNALDATE)) per mail still there; PEEK leaves \\Seen unset until stored."""
    whole = [uid for uid, size in mail if size <= limits.max_bytes]
    big = [uid for uid, size in mail if size > limits.max_bytes]
    fetched = {}
    for uids, part in ((whole, "BODY.PEEK[]"), (big, "BODY.PEEK[HEADER]")):
        if uids:
            fetched |= wire.records(wire.ok(imap.uid("FETCH", wire.uid_set(uids), f"(UID INTERNALDATE {part})")))
    return ((uid, size, fetched[uid]) for uid, size in mail if uid in fetched)


def _item(mailbox: MailboxConfig, limits: EmailLimits, uid: int, size: int, fetched: tuple, now):
    """The parsed mail, or a Rejected header when the mail was too large to fetch."""
    raw, arrived = fetched
    locator = f"{mailbox.name}/uid/{uid}"
    if size > limits.max_bytes:
        reason = f"mail too large: {size} bytes (limit {limits.max_bytes}); only its header was fetched"
        return Rejected(channel="email", source=mailbox.source, raw=raw, reason=reason, locator=locator)
    return email.parse_message(raw, source=mailbox.source, limits=limits, locator=locator,
                               fallback_time=arrived or now())


def _done(imap: imaplib.IMAP4, mailbox: MailboxConfig, uids: str) -> None:
    """Mark stored mail \\Seen, and move it when configured (MOVE, else COPY + delete)."""
    wire.ok(imap.uid("STORE", uids, "+FLAGS.SILENT", r"(\Seen)"))
    if not mailbox.move_to:
        return
    target = wire.quote(mailbox.move_to)
    if "MOVE" in imap.capabilities:
        wire.ok(imap.uid("MOVE", uids, target))
        return
    wire.ok(imap.uid("COPY", uids, target))
    wire.ok(imap.uid("STORE", uids, "+FLAGS.SILENT", r"(\Deleted)"))
    # UID EXPUNGE removes only ours; a plain EXPUNGE would also purge mail a person marked deleted.
    wire.ok(imap.uid("EXPUNGE", uids) if "UIDPLUS" in imap.capabilities else imap.expunge())

