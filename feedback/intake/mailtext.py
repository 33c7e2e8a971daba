"""What the customer wrote in a mail: quoted history and signatures removed, for classification.

Lines are marked (e empty, m "> " quoted, s reply header, f forward header, t text) and the
marker string is matched like mailgun/talon does, so interleaved replies and forwards survive.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE
# "On Mon, Apr 2, 2012 at 6:26 PM, Megan <x@y.z> wrote:" and its languages; may wrap over lines.
_NAME = r"(?:\"[^\"]{1,80}\"|[^\s<>@\"\d:]{1,40}(?:\s+[^\s<>@\"\d:]{1,40}){0,3})?\s*"
_ATTRIBUTION = [
    re.compile(r"^[->\s]*(?:on|le|am|el|il|op|em|på|den|w dniu|vào)\s.*(?:\d|@).*"
               r"(?:wrote|sent|a écrit|schrieb|escribió|ha scritto|schreef|napisał|escreveu|skrev|"
               r"написал|написала|đã viết)\s*:?\s*$", _FLAGS),
    re.compile(r"^\s*在.{0,200}(?:写道|寫道)\s*[:：]?\s*$"),
    # Gmail in Chinese: "张三 <zhang@example.com> 于2024年1月2日周二 10:00写道："
    re.compile(r"^\s*" + _NAME + r"<?[^\s<>@]+@[^\s<>]+>?\s*于.{0,80}(?:写道|寫道)\s*[:：]?\s*$"),
    re.compile(r"^\s*" + _NAME + r"<?[^\s<>@]+@[^\s<>]+>?\s*(?:\(.{0,80}\))?\s*"
               r"(?:wrote|写道|寫道|написал|schrieb|a écrit)\s*[:：]\s*$", _FLAGS),
    # "02.04.2012 14:20 пользователь <bob@example.com> написал:", "2014-10-17 11:28 GMT+03:00 Bob <b@x>:"
    # mail.ru: "Thu, 26 Jun 2014 14:00:51 +0400 от Alexander L <abc@example.com>:"
    re.compile(r"^\s*\S{3,10}, \d{1,2} \S{3,10} (?:19|20)\d\d,? \d{1,2}:\d{2}(?::\d{2})?(?: \S+){1,8}@\S+\s*[:：]\s*$"),
    re.compile(r"^\s*\d{1,4}[./-]\d{1,2}[./-]\d{1,4}[ ,]+\d{1,2}:\d{2}.{0,200}\S+@\S+.{0,120}[:：]\s*$"),
]
_ORIGINAL = re.compile(
    r"^\s*[-_=]{2,}\s*(?:original message|reply message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|messaggio originale|oorspronkelijk bericht|原始邮件|原始郵件|原邮件|回复的原邮件)"
    r"\s*[-_=]{2,}\s*$", _FLAGS)
_FORWARD = re.compile(
    r"^\s*(?:[-_=]{2,}\s*(?:forwarded message|weitergeleitete nachricht|message transféré|"
    r"mensaje reenviado|转发的邮件|转发邮件|轉寄郵件)\s*[-_=]*|begin forwarded message\s*:)\s*$", _FLAGS)
# Outlook / QQ Mail / Foxmail header blocks: "From: …" then "Sent: …" (or their translations).
_FROM_LABEL = re.compile(r"^\s*\*?(?:from|发件人|寄件者|von|de|van|fra|från|от)\s*\*?\s*[:：]", _FLAGS)
_TO_LABEL = re.compile(r"^\s*\*?(?:to|cc|收件人|抄送|收件者|副本|an|à|para|кому|копия)\s*\*?\s*[:：]", _FLAGS)
_RULE = re.compile(r"^\s*[-_=]{5,}\s*$")
_HEADER_LABEL = re.compile(
    r"^\s*\*?(?:sent|date|subject|发送时间|发送日期|时间|日期|主题|寄件日期|主旨|gesendet|datum|betreff|envoyé|"
    r"objet|enviado|asunto|отправлено|дата|тема)\s*\*?\s*[:：]", _FLAGS)
_SIGNATURE = re.compile(
    r"^[ \t]*(?:(?:--|__|—)|sent from my\s.{1,40}|sent from (?:mail|outlook|yahoo mail|samsung|huawei|"
    r"xiaomi|aol|proton ?mail|icloud|blackberry).{0,60}|sent with (?:sparrow|airmail|spark|proton|blackberry).{0,60}|"
    r"get outlook for (?:ios|android).{0,20}|sent via .{1,40} (?:app|mobile).{0,20}|"
    r"von meinem .{1,40} gesendet|envoyé de mon .{1,40}|enviado desde mi .{1,40}|inviato da .{1,40}|"
    r"发自我的\s?.{1,20}|来自我的\s?.{1,20}|发自\s?(?:网易|qq|foxmail|手机|移动|wps|钉钉|华为|小米).{0,20}|"
    r"从我的\s?.{1,20}发送|從我的\s?.{1,20}傳送|寄自我的\s?.{1,20})[ \t]*$", _FLAGS | re.MULTILINE)
# An attribution wrapped over lines starts like one; a line of the customer's own prose does not.
_WRAPPED_START = re.compile(r"^\s*(?:(?:on|le|am|el|il|op|em|på|den|w dniu|vào)\s|在|\d)|.*[<@]", _FLAGS)
_SENTENCE_END = re.compile(r"[.!?。！？…]\s*$")
_ENDS_ATTRIBUTION = (":", "：", "wrote", "Wrote", "写道", "寫道")
# Every marker but "t" needs one of these; most mails are answered in one C-level scan.
_MAYBE_QUOTED = re.compile(r"[>:：]|--|__|==|wrote|写道|寫道", _FLAGS)
_SIGNATURE_MAX_LINES = 15
_SPLITTER_MAX_LINES = 3

_THREE_QUOTES = re.compile(r"(me*){3}")
_FORWARD_FIRST = re.compile(r"[te]*f")
_INLINE_REPLY = re.compile(r"(?<=m)e*(t[te]*)m")
_SPLITTER_THEN_TEXT = re.compile(r"(se*)+((t|f)+e*)+")
_QUOTATION = re.compile(r"((?:s|(?:me*){2,}).*me*)[te]*$")
_EMPTY_QUOTATION = re.compile(r"((?:se*)+|(?:me*){2,})e*")


def reply_text(body: str) -> str:
    """The newest part of a mail: quoted history, then the trailing signature, removed."""
    return strip_signature(strip_quotes(body))


def strip_quotes(body: str) -> str:
    """Body without the quoted thread ("> " lines, "On … wrote:", Outlook/QQ header blocks and below)."""
    if not _MAYBE_QUOTED.search(body):
        return body.strip()
    lines = body.splitlines()
    markers = _mark(lines)
    kept = _reply_lines(lines, markers)
    return "\n".join(kept).strip()


def _mark(lines: list[str]) -> str:
    """One marker letter per line (see the module docstring)."""
    markers: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            markers.append("e")
        elif line.lstrip(" ").startswith(">"):
            markers.append("m")
        elif _FORWARD.match(line):
            markers.append("f")
        else:
            span = _splitter_span(lines, i)
            markers.extend("s" * span or "t")
            i += max(span, 1) - 1
        i += 1
    return "".join(markers)


def _splitter_span(lines: list[str], i: int) -> int:
    """How many lines starting at `i` form a reply header (0 when they do not)."""
    line = lines[i]
    if _ORIGINAL.match(line):
        return 1
    span = _header_block(lines, i)
    if span:
        return span
    if _RULE.match(line) and i + 1 < len(lines):
        span = _header_block(lines, i + 1)  # Outlook's "____" line above the quoted headers
        return span + 1 if span else 0
    window = []
    last = _SPLITTER_MAX_LINES if _WRAPPED_START.match(line) and not _SENTENCE_END.search(line) else 1
    for line in lines[i:i + last]:
        if not line.strip() or line.lstrip().startswith(">"):
            break
        window.append(line.strip())
        if window[-1].endswith(_ENDS_ATTRIBUTION):
            joined = " ".join(window)
            if any(pattern.match(joined) for pattern in _ATTRIBUTION):
                return len(window)
    return 0


def _header_block(lines: list[str], i: int) -> int:
    """Lines in a quoted-mail header block at `i` ("From:", "Sent:"/"Date:"/"Subject:", "To:" in any order)."""
    labels = []
    for line in lines[i:i + 6]:
        kind = "f" if _FROM_LABEL.match(line) else "d" if _HEADER_LABEL.match(line) else "t" if _TO_LABEL.match(line) else ""
        if not kind:
            break
        labels.append(kind)
    return len(labels) if len(labels) > 1 and "f" in labels and "d" in labels else 0


def _reply_lines(lines: list[str], markers: str) -> list[str]:
    """The lines to keep, decided on the marker string."""
    if "s" not in markers and not _THREE_QUOTES.search(markers):
        markers = markers.replace("m", "t")  # a stray "> " line or two is the customer's own text
    if _FORWARD_FIRST.match(markers):
        return lines  # a forward: what was forwarded is the feedback
    if _INLINE_REPLY.search(markers):
        return lines  # answers interleaved with the quote cannot be told apart from it
    found = _SPLITTER_THEN_TEXT.search(markers)
    if found:
        return lines[:found.start()]
    found = _QUOTATION.search(markers) or _EMPTY_QUOTATION.search(markers)
    if found:
        return lines[:found.start(1)] + lines[found.end(1):]
    return lines


def strip_signature(text: str) -> str:
    """Text without a trailing "-- " signature or "Sent from my iPhone"-style footer (last 15 lines only)."""
    start = len(text)
    for _ in range(_SIGNATURE_MAX_LINES):
        start = text.rfind("\n", 0, start)
        if start < 0:
            break
    found = _SIGNATURE.search(text, max(start, 0))
    return text[:found.start()].strip() if found else text.strip()
