"""Decoding of mail text and header values that survives unknown, missing or lying charsets."""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_tz
from functools import lru_cache

# Mail clients label text with the narrow charset while writing characters of its superset.
_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "x-euc-cn": "gb18030", "euc-cn": "gb18030", "gb-2312": "gb18030", "gb2312-80": "gb18030",
    "csgb2312": "gb18030", "chinese": "gb18030", "x-cp936": "gb18030", "windows-936": "gb18030",
    "big5": "big5hkscs", "big-5": "big5hkscs", "x-big5": "big5hkscs", "cn-big5": "big5hkscs",
    "csbig5": "big5hkscs", "big5-hkscs": "big5hkscs",
    "ks-c-5601-1987": "cp949", "ks-c-5601": "cp949", "euc-kr": "cp949", "korean": "cp949",
    "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932", "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_2", "iso-8859-8-i": "iso-8859-8", "utf8": "utf-8",
}
_UNKNOWN = {"unknown-8bit", "x-unknown", "unknown", "invalid-charset", "default", "8bit",
            "x-user-defined", "binary", "none", "null"}
# Labels senders put on whatever bytes they had; a well-formed UTF-8 or GB text behind them is likelier.
_WESTERN = {"ascii", "iso8859-1", "cp1252", "iso8859-15"}
# Codecs whose ASCII bytes still need decoding.
_SEVEN_BIT = {"utf-7", "iso2022_jp_2", "iso2022_jp", "iso2022_kr", "hz"}

_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
_HAN = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")  # CJK ideographs, kana, CJK and full-width punctuation
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_BETWEEN_WORDS = re.compile(r"\s*")
_SPACES = re.compile(r"\s+")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


@lru_cache(maxsize=256)
def codec_for(charset: str | None) -> str | None:
    """Python codec name for a declared charset, or None when unknown or absent."""
    if not charset:
        return None
    label = charset.strip().strip("\"'").lower().replace("_", "-")
    label = label.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    if label in _UNKNOWN or not label.isascii():
        return None
    label = _ALIASES.get(label, label)
    try:
        name = codecs.lookup(label).name
    except (LookupError, ValueError):  # ValueError: NUL bytes and other junk in the label
        return None
    # Text codecs only: "base64", "rot13" and friends are codecs too.
    return None if name.endswith("_codec") else name


def looks_cjk(data: bytes) -> bool:
    """True when the non-ASCII bytes come in runs, as two-byte CJK characters do (Latin text has lone ones)."""
    runs = _HIGH_RUN.findall(data[:65536])
    total = sum(map(len, runs))
    paired = sum(len(run) for run in runs if len(run) > 1)
    return total > 1 and paired >= 0.8 * total


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Decode bytes labelled with `charset`; never raises, falls back to UTF-8, GB18030, then cp1252."""
    codec = codec_for(charset)
    if codec not in _SEVEN_BIT and data.isascii():
        return data.decode("ascii")
    if codec and codec not in _WESTERN and codec != "utf-8":
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    text = _guess(data, codec)
    if text is not None:
        return text
    if codec and codec not in _WESTERN and codec != "utf-8":
        return data.decode(codec, "replace")
    return data.decode("cp1252", "replace")


def _guess(data: bytes, codec: str | None) -> str | None:
    """Try UTF-8 (also when a few bytes are broken), then GB18030 for CJK-looking bytes."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", "replace")
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    if text.count("\ufffd") * 4 <= non_ascii:
        return text  # damaged UTF-8; misread GB text has most of its characters broken
    if looks_cjk(data):
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = ""
        if _mostly_han(text):
            return text
    if codec in _WESTERN:
        return data.decode(codec, "replace")
    return None


def _mostly_han(text: str) -> bool:
    """True when nearly all non-ASCII characters are CJK: two Latin-1 letters in a row also decode as GB18030."""
    non_ascii = sum(1 for ch in text if ord(ch) > 127)
    return non_ascii > 0 and len(_HAN.findall(text)) >= 0.9 * non_ascii


def header_bytes(value: str) -> str:
    """Unfolded header text; raw 8-bit bytes (parsed as surrogate escapes) are decoded by the fallbacks."""
    value = _FOLD.sub("", value)
    if value.isascii():
        return value
    try:
        raw = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value  # already real text
    return decode_text(raw)


def decode_header(value: str | None) -> str:
    """RFC 2047-decoded, unfolded header text; adjacent words of one charset are joined before decoding."""
    if not value:
        return ""
    text = _FOLD.sub("", str(value))
    if "=?" not in text:
        return _SPACES.sub(" ", header_bytes(text)).strip()
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos:match.start()]
        if not (pending and _BETWEEN_WORDS.fullmatch(gap)):
            _flush(out, pending, pending_charset)
            out.append(header_bytes(gap))
        charset, kind, payload = match.groups()
        if pending and charset.lower() != pending_charset.lower():
            _flush(out, pending, pending_charset)
        pending_charset = charset
        pending.append(_word_bytes(kind, payload))
        pos = match.end()
    _flush(out, pending, pending_charset)
    out.append(header_bytes(text[pos:]))
    return _SPACES.sub(" ", "".join(out)).strip()


def _flush(out: list[str], pending: list[bytes], charset: str) -> None:
    """Decode the collected encoded words into `out` and empty the collection."""
    if pending:
        out.append(decode_text(b"".join(pending), charset))
        pending.clear()


def _word_bytes(kind: str, payload: str) -> bytes:
    """The bytes of one encoded word's payload; garbage decodes to what can be salvaged."""
    data = payload.encode("utf-8", "surrogateescape")  # the raw bytes: 8-bit ones arrive as surrogates
    if kind in "qQ":
        return quopri.decodestring(data.replace(b"_", b" "), header=True)
    data = data.rstrip(b"=")
    try:
        return base64.b64decode(data + b"=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return b""


def parse_date(value: str | None) -> datetime | None:
    """Aware UTC datetime of an RFC 5322 date (naive means UTC), or None when absent, garbled or absurd."""
    if not value:
        return None
    try:
        parts = parsedate_tz(header_bytes(value))
        if not parts:
            return None
        year, month, day, hour, minute, second = parts[:6]
        if not 1990 <= year <= 2100:
            return None
        zone = timezone(timedelta(seconds=parts[9])) if parts[9] else UTC
        return datetime(year, month, day, hour, minute, second, tzinfo=zone).astimezone(UTC)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


def first_address(value: str | None) -> tuple[str, str]:
    """(display name, lower-cased address) of the first mailbox in an address header; address "" if none."""
    if not value:
        return "", ""
    text = header_bytes(value)
    try:
        pairs = getaddresses([text])
    except Exception:  # the stdlib address parser has crashed on hostile input before
        return decode_header(text), ""
    for name, address in pairs:
        if name or address:
            address = address.strip().lower()
            if "@" not in address or " " in address:
                return decode_header(name or address), ""
            return decode_header(name).strip("\"' "), address
    return "", ""
