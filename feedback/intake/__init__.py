"""Intake: every channel's adapter yields IncomingFeedback; `store()` alone writes it."""

from collections.abc import Iterator
from functools import partial

from feedback.intake.incoming import Attachment, IncomingFeedback, Rejected
from feedback.intake.pipeline import finish_run, import_items, start_run, store



def mail_limits(config) -> "EmailLimits":
    """The configured limits against mail bombs."""
    from feedback.intake.email import EmailLimits

    return EmailLimits(
        max_bytes=config["MAIL_MAX_BYTES"], max_depth=config["MAIL_MAX_DEPTH"],
        max_parts=config["MAIL_MAX_PARTS"], max_attachment_bytes=config["MAIL_MAX_ATTACHMENT_BYTES"],
    )


def read_mail(path, *, source: str, limits, workers: int | None = None) -> Iterator[IncomingFeedback | Rejected]:
    """Every mail under a path (.eml, folder, mbox, Maildir), parsed on every core, in order."""
    from feedback.intake.email import parse_message
    from feedback.intake.mailsource import iter_mail_path
    from feedback.intake.parallel import parse_all

    parse = partial(_parse_mail, parse_message, source, limits)
    return parse_all(iter_mail_path(path), parse, workers=workers)


def _parse_mail(parse_message, source: str, limits, raw: bytes, locator: str):
    return parse_message(raw, source=source, limits=limits, locator=locator)


def reparser(channel: str):
    """The adapter that can read one kept raw input again (for quarantine retries), or None."""
    if channel == "email":
        from feedback.intake.email import parse_message

        return parse_message
    return None


__all__ = ["mail_limits", "read_mail", "reparser", "Attachment", "IncomingFeedback", "Rejected", "finish_run", "import_items", "start_run", "store"]
