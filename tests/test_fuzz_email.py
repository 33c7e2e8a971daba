"""Bad input, email: arbitrary bytes and hostile MIME into the mail parser and the store path.

Every input ends as one feedback row or one quarantine row with a reason; nothing raises.
"""

from __future__ import annotations

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback import intake
from feedback.intake import IncomingFeedback, Rejected
from feedback.intake.email import EmailLimits, parse_message
from feedback.models import Feedback, Quarantine
from tests.factories import NOW

LIMITS = EmailLimits(max_bytes=200_000, max_depth=5, max_parts=30, max_attachment_bytes=20_000)
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])
# The store path costs a transaction per example, on each database: fewer examples keep the suite fast.
STORED = settings(FAST, max_examples=120)
CHARSETS = ["utf-8", "gb2312", "gb18030", "big5", "x-unknown", "iso-8859-1", "utf-16", "", "utf-8\x00"]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus"]

text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80)
blob = st.binary(max_size=300)


@st.composite
def header(draw) -> bytes:
    name = draw(st.sampled_from(["Subject", "From", "To", "Message-ID", "Date", "In-Reply-To", "References",
                                 "Content-Type", "Content-Transfer-Encoding", "X-Junk"]))
    value = draw(st.one_of(
        text.map(lambda t: t.encode("utf-8", "replace")),
        text.map(lambda t: t.encode("gb18030", "replace")),
        blob.map(lambda b: b.replace(b"\n", b" ")),
        st.builds(lambda c, e, t: f"=?{c}?{e}?{t}?=".encode("utf-8", "replace"), st.sampled_from(CHARSETS),
                  st.sampled_from(["B", "Q", "X"]), text),
    ))
    return name.encode() + b": " + value


@st.composite
def part(draw, depth: int) -> bytes:
    """A MIME part; multiparts nest up to `depth` levels (beyond the parser's limit on purpose)."""
    headers = draw(st.lists(header(), max_size=3))
    if depth > 0 and draw(st.booleans()):
        boundary = draw(st.sampled_from(["b1", "b\"2", "", "x" * 80])) + str(depth)
        children = draw(st.lists(part(depth - 1), min_size=0, max_size=3))
        kind = draw(st.sampled_from(["mixed", "alternative", "related", "digest"]))
        head = f'Content-Type: multipart/{kind}; boundary="{boundary}"'.encode()
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        body += draw(st.sampled_from([b"--" + boundary.encode() + b"--\r\n", b"", b"--" + boundary.encode()]))
        return b"\r\n".join([head, *headers]) + b"\r\n\r\n" + body
    kind = draw(st.sampled_from(["text/plain", "text/html", "message/rfc822", "application/pdf", "image/png", "bogus"]))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    filename = draw(st.one_of(st.just(b""), text.map(lambda t: b'; filename="' + t.encode("utf-8", "replace") + b'"')))
    body = draw(st.one_of(blob, text.map(lambda t: t.encode("gb18030", "replace"))))
    head = f"Content-Type: {kind}; charset={charset}\r\nContent-Transfer-Encoding: {encoding}".encode()
    return head + b"\r\nContent-Disposition: attachment" + filename + b"\r\n" + b"\r\n".join(headers) + b"\r\n\r\n" + body


mails = st.one_of(blob, st.builds(lambda hs, p: b"\r\n".join(hs) + b"\r\n" + p, st.lists(header(), max_size=6), part(8)))


def _check_one(result, raw: bytes) -> None:
    assert isinstance(result, (IncomingFeedback, Rejected))
    assert result.raw == raw  # kept byte-exact, whatever it was
    if isinstance(result, Rejected):
        assert result.reason.strip()


@FAST
@given(raw=mails)
def test_the_parser_never_raises(raw):
    _check_one(parse_message(raw, source="fuzz", limits=LIMITS), raw)


@STORED
@given(raw=mails)
def test_every_mail_is_stored_or_quarantined_with_a_reason(session, loaded_taxonomy, raw):
    result = parse_message(raw, source="fuzz", limits=LIMITS)
    run = intake.import_items(session, [result], channel="email", source="fuzz", now=lambda: NOW)
    assert run.new_count + run.duplicate_count + run.quarantined_count == 1 and not run.errors
    stored = session.scalar(sa.select(sa.func.count()).select_from(Feedback).where(Feedback.raw == raw))
    held = session.execute(sa.select(Quarantine.reason).where(Quarantine.raw == raw)).scalars().all()
    assert all(reason.strip() for reason in held)
    if run.duplicate_count:  # an earlier example had the same Message-ID, or the same bytes: that one is kept
        kept = isinstance(result, IncomingFeedback) and session.scalar(
            sa.select(Feedback.id).where(Feedback.external_id == result.external_id.strip()))
        assert kept or held  # stored before, or held in quarantine before (same raw, same reason)
    else:
        assert stored + len(held) == 1
