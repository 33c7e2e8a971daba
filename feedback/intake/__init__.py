"""Intake: every channel's adapter yields IncomingFeedback; `store()` alone writes it."""

from feedback.intake.incoming import Attachment, IncomingFeedback, Rejected
from feedback.intake.pipeline import finish_run, import_items, start_run, store

__all__ = ["Attachment", "IncomingFeedback", "Rejected", "finish_run", "import_items", "start_run", "store"]
