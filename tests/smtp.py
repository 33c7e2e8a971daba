"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for mail tests."""

from __future__ import annotations

import socket

from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Inbox:
    """What the loopback server received, oldest first."""

    host: str
    port: int
    mails: list[Received] = field(default_factory=list)

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.mails if address in m.recipients]

    def configure(self, app) -> None:
        app.config.update(SMTP_HOST=self.host, SMTP_PORT=self.port, SMTP_SECURITY="plain", SMTP_USER="")


class _Handler:
    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.inbox.mails.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_controller():
    port = _free_port()
    controller = Controller(_Handler(Inbox("127.0.0.1", port)), hostname="127.0.0.1", port=port)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def smtp_inbox(_smtp_controller, app) -> Inbox:
    """An empty inbox on the session's SMTP server, with the app configured to send there."""
    inbox = _smtp_controller.handler.inbox
    inbox.mails.clear()
    inbox.configure(app)
    return inbox
