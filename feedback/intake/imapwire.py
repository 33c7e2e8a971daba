"""The IMAP wire format: sequence sets, quoted folder names, FETCH responses, status checks."""

from __future__ import annotations

import base64
import imaplib
import re
from datetime import datetime

UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')


def records(data: list) -> dict[int, tuple[bytes, datetime | None]]:
    """{uid: (literal, INTERNALDATE)} from a FETCH response, wherever the server put the UID."""
    records = []
    for part in data:
        if isinstance(part, tuple):
            records.append([part[0], part[1]])
        elif records and part and part[:1] in (b" ", b")"):  # the rest of the previous response
            records[-1][0] += part
    found = {}
    for meta, literal in records:
        if uid := UID.search(meta):
            found[int(uid.group(1))] = (literal or b"", internaldate(meta))
    return found


def internaldate(meta: bytes) -> datetime | None:
    """When the server received the mail: the time of a mail without a usable Date header."""
    found = _INTERNALDATE.search(meta)
    try:
        return datetime.strptime(found.group(1).decode().strip(), "%d-%b-%Y %H:%M:%S %z") if found else None
    except ValueError:
        return None


def uid_set(uids) -> str:
    """An IMAP sequence set with runs folded: 1:5,7,9:12."""
    ranges: list[list[int]] = []
    for uid in sorted(uids):
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1][1] = uid
        else:
            ranges.append([uid, uid])
    return ",".join(str(a) if a == b else f"{a}:{b}" for a, b in ranges)


def quote(folder: str) -> str:
    """A folder name as an IMAP quoted string, non-ASCII in modified UTF-7 (RFC 3501 5.1.3)."""
    encoded = re.sub(r"&|[^\x20-\x7e]+", utf7, folder)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def utf7(match: re.Match) -> str:
    """One run of non-ASCII characters as &<UTF-16 in base64 with , for />-."""
    if match.group() == "&":
        return "&-"
    return "&" + base64.b64encode(match.group().encode("utf-16-be")).rstrip(b"=").replace(b"/", b",").decode() + "-"


def ok(result: tuple) -> list:
    """The data of an OK response; anything else raises like imaplib's own errors."""
    status, data = result
    if status != "OK":
        raise imaplib.IMAP4.error(f"{status} {b' '.join(d for d in data if isinstance(d, bytes)).decode(errors='replace')}")
    return data
