"""Mails on disk, one at a time: a single file, a folder tree, an mbox or a Maildir.

Everything streams: an mbox is read line by line and a folder entry by entry, so memory
stays flat however many mails there are (only the current mail is held).
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path

# Notes that travel with exported mail folders and are not mail.
_NOT_MAIL = re.compile(r"(?:SOURCE\.md|README.*|LICENSE.*|NOTICE.*|inventory\.csv)", re.IGNORECASE)
_MAILDIR_PARTS = ("cur", "new", "tmp")
_FROM_LINE = re.compile(rb"From (\S+)[ \t]*(.*)")
# asctime as mbox writers put it after the sender: "Tue Jul  7 22:47:39 2009".
_ASCTIME = re.compile(rb"[A-Z][a-z]{2} +[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d{2}(?::\d{2})? +"
                      rb"(?:[A-Z]{3,4} +|[+-]\d{4} +)?\d{4}")
_QUOTED_FROM = re.compile(rb">+From ")
_FROM_HEADER = re.compile(rb"From\s*:")  # obsolete RFC 822 syntax allows "From  : …" as a header


def iter_mail_path(path: str | os.PathLike) -> Iterator[tuple[bytes, str]]:
    """Yield (raw mail bytes, locator) for every mail under `path`; the locator names file and mbox position."""
    path = Path(path)
    if path.is_dir():
        yield from _iter_folder(path)
    elif path.is_file():
        yield from _iter_file(path)


def _iter_folder(folder: Path) -> Iterator[tuple[bytes, str]]:
    """Mails in a folder tree, files in name order; hidden files and folder notes skipped."""
    if all((folder / part).is_dir() for part in _MAILDIR_PARTS):
        yield from _iter_maildir(folder)
        return
    with os.scandir(folder) as found:
        entries = sorted((entry.name, entry.is_dir()) for entry in found
                         if not entry.name.startswith(".") and not _NOT_MAIL.fullmatch(entry.name))
    for name, is_dir in entries:
        if is_dir:
            yield from _iter_folder(folder / name)
        elif (folder / name).is_file():
            yield from _iter_file(folder / name)


def _iter_maildir(folder: Path) -> Iterator[tuple[bytes, str]]:
    """Delivered mails of a Maildir (cur/ and new/; tmp/ holds mails still being written)."""
    for part in ("cur", "new"):
        with os.scandir(folder / part) as found:
            names = sorted(entry.name for entry in found if entry.is_file() and not entry.name.startswith("."))
        for name in names:
            path = folder / part / name
            yield path.read_bytes(), str(path)


def _iter_file(path: Path) -> Iterator[tuple[bytes, str]]:
    """One mail file, or each mail of an mbox file (it starts with a "From " line)."""
    with open(path, "rb") as handle:
        head = handle.readline(1024).removeprefix(codecs.BOM_UTF8)
        handle.seek(0)
        if head.startswith(b"From ") and not _FROM_HEADER.match(head):
            yield from _iter_mbox(handle, str(path))
        else:
            yield handle.read(), str(path)


def _iter_mbox(handle, name: str) -> Iterator[tuple[bytes, str]]:
    """Split an mbox on its "From " lines, undoing ">From " quoting; locator is file#n."""
    lines: list[bytes] = []
    number = 0
    for line in handle:
        if number == 0:
            line = line.removeprefix(codecs.BOM_UTF8)
        if line.startswith(b"From ") and (number == 0 or is_envelope_line(line)):
            if number:
                yield _message(lines), f"{name}#{number}"
            number += 1
            lines = []
            continue
        if line.startswith(b">") and _QUOTED_FROM.match(line):
            line = line[1:]
        lines.append(line)
    if number:
        yield _message(lines), f"{name}#{number}"


def is_envelope_line(line: bytes) -> bool:
    """True for an mbox "From sender date" line, false for a body line that merely starts with "From ".

    Writers that do not escape body lines ("From Russia with love") would otherwise split mails.
    """
    found = _FROM_LINE.match(line)
    if not found:
        return False
    sender, rest = found.groups()
    return sender == b"-" or b"@" in sender or sender.upper() == b"MAILER-DAEMON" or bool(_ASCTIME.search(rest))


def _message(lines: list[bytes]) -> bytes:
    """One mail's bytes, without the blank line the mbox format puts before the next "From " line."""
    data = b"".join(lines)
    if data.endswith(b"\r\n\r\n"):
        return data[:-2]
    if data.endswith(b"\n\n"):
        return data[:-1]
    return data
