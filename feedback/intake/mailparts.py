"""The MIME tree of a mail walked within limits: body text parts and attachments."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message
from email.policy import Compat32

from feedback.intake.incoming import Attachment
from feedback.intake.mailheaders import decode_header, decode_text
from feedback.intake.mailhtml import html_to_text

_MAX_FILENAME = 200
_PATH_SEPARATORS = re.compile(r"[/\\]")


class RawHeaderPolicy(Compat32):
    """compat32 (ten times faster than policy.default), but 8-bit header bytes come back as-is for our decoder."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


class OpaqueMessage(Message):
    """A MIME part whose message/* body the parser keeps as bytes instead of parsing it."""

    # An attached mail is one attachment to us, and parsing attached mails recursively is how
    # nesting bombs (a mail in a mail, thousands deep) hurt; the parser asks this method.
    def get_content_type(self) -> str:
        ctype = self.mime_type()
        return "application/octet-stream" if ctype.startswith("message/") else ctype

    def mime_type(self) -> str:
        """The declared content type, message/* included."""
        return Message.get_content_type(self)


@dataclass
class Limits:
    """How much of the tree a walk may visit."""

    max_depth: int
    max_parts: int
    max_attachment_bytes: int


@dataclass
class Content:
    """What a walk found: text parts by kind, and attachments."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    parts: int = 0
    truncated: bool = False

    def body(self) -> str:
        """Plain parts if any says something, else the HTML parts as text."""
        plain = "\n\n".join(text.strip("\r\n") for text in self.plain if text.strip())
        if plain:
            return plain.replace("\r\n", "\n").rstrip()
        return "\n\n".join(html_to_text(markup) for markup in self.html).strip()

    def merge(self, other: Content, *, text: bool) -> None:
        """Take over another walk's attachments, and its text when `text`."""
        if text:
            self.plain += other.plain
            self.html += other.html
        self.attachments += other.attachments
        self.parts = other.parts
        self.truncated |= other.truncated


def collect(message: Message, limits: Limits) -> Content:
    """Walk the tree depth-first, at most `max_depth` deep and `max_parts` parts."""
    content = Content()
    _visit(message, 0, content, limits)
    return content


def _visit(part: Message, depth: int, content: Content, limits: Limits) -> None:
    """Add one part (and, for multiparts, its children) to `content`."""
    if content.parts >= limits.max_parts or depth > limits.max_depth:
        content.truncated = True
        return
    content.parts += 1
    ctype = _mime_type(part)
    if part.is_multipart():
        children = part.get_payload()
        if ctype == "multipart/alternative":
            _visit_alternative(children, depth, content, limits)
        else:
            for child in children:
                _visit(child, depth + 1, content, limits)
    elif _is_attachment(part, ctype):
        _add_attachment(part, ctype, content, limits)
    elif ctype == "text/html":
        content.html.append(_text(part))
    else:
        content.plain.append(_text(part))


def _visit_alternative(children: list, depth: int, content: Content, limits: Limits) -> None:
    """Keep the text of the first alternative with plain text, else the first with HTML; all attachments."""
    found = []
    for child in children:
        sub = Content(parts=content.parts)
        _visit(child, depth + 1, sub, limits)
        content.merge(sub, text=False)
        found.append(sub)
    best = next((sub for sub in found if any(t.strip() for t in sub.plain)), None)
    best = best or next((sub for sub in found if sub.html), None)
    if best:
        content.plain += best.plain
        content.html += best.html


def _mime_type(part: Message) -> str:
    """Declared type of a part, also for parts the parser kept opaque."""
    return part.mime_type() if isinstance(part, OpaqueMessage) else part.get_content_type()


def _is_attachment(part: Message, ctype: str) -> bool:
    """Files: declared attachments, anything with a filename, and every non-text leaf."""
    if ctype not in ("text/plain", "text/html") and not ctype.startswith("multipart/"):
        return True
    return part.get_content_disposition() == "attachment" or bool(_raw_filename(part))


def _payload(part: Message) -> bytes:
    """Transfer-decoded bytes of a leaf part; undecodable payloads come back as they are."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # broken uuencode/base64 in the wild; keep what is there
        data = None
    if isinstance(data, bytes):
        return data
    raw = part._payload  # get_payload() without decoding can raise on the same part
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _text(part: Message) -> str:
    """Decoded text of a text part in its declared (or guessed) charset."""
    return decode_text(_payload(part), _param_text(part.get_param("charset")) or None)


def _add_attachment(part: Message, ctype: str, content: Content, limits: Limits) -> None:
    """Keep a file part unless it is larger than the per-attachment limit."""
    data = _payload(part)
    if len(data) > limits.max_attachment_bytes:
        return
    number = len(content.attachments) + 1
    name = sanitise_filename(_raw_filename(part)) or _fallback_name(number, ctype)
    content.attachments.append(Attachment(filename=name, content_type=ctype, data=data))


def _raw_filename(part: Message) -> str:
    """Filename from Content-Disposition or Content-Type name, RFC 2231 and RFC 2047 decoded."""
    for value in (part.get_param("filename", header="content-disposition"), part.get_param("name")):
        text = _param_text(value).strip().strip('"')
        if text:
            return decode_header(text)
    return ""


def _param_text(value: str | tuple | None) -> str:
    """A parameter value as text; RFC 2231 (charset, language, value) triples decoded in their charset."""
    if isinstance(value, tuple):
        charset, _, text = value
        # the stdlib hands the %-decoded bytes over as one character per byte
        return decode_text(text.encode("raw-unicode-escape"), charset or None)
    return value if isinstance(value, str) else ""


def sanitise_filename(name: str) -> str:
    """Basename only, no control or direction characters, at most 200 characters with the extension kept."""
    name = _PATH_SEPARATORS.split(name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().lstrip(".").strip()
    if len(name) > _MAX_FILENAME:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:20] if dot and stem else ""
        name = name[:_MAX_FILENAME - len(ext) - 1] + "." + ext if ext else name[:_MAX_FILENAME]
    return name


def _fallback_name(number: int, ctype: str) -> str:
    """attachment-N, with the usual extension of its type when there is one."""
    ext = ".eml" if ctype == "message/rfc822" else mimetypes.guess_extension(ctype) or ""
    return f"attachment-{number}{ext}"
