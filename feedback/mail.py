"""Sending mail over SMTP, and nothing else: compose a text + HTML message, send a batch."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid


class MailError(Exception):
    """The SMTP server could not be reached or refused the mail."""


@dataclass(frozen=True)
class Outgoing:
    """One mail to send: both parts, and the ticket it is about (so replies find their way back)."""

    to: str
    subject: str
    text: str
    html: str = ""
    ticket_number: str = ""


def compose(config: dict, mail: Outgoing) -> EmailMessage:
    """An RFC 5322 message; a ticket number goes into the Message-ID so a reply's References name it."""
    message = EmailMessage()
    message["From"] = formataddr((config["MAIL_FROM_NAME"], config["MAIL_FROM"]))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    domain = config["MAIL_FROM"].rpartition("@")[2] or "feedback.local"
    message["Message-ID"] = make_msgid(idstring=mail.ticket_number or None, domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # mail robots must not answer us
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    return message


def send(config: dict, mails: list[Outgoing]) -> int:
    """Send every mail over one SMTP connection; returns how many were sent."""
    if not mails:
        return 0
    try:
        with _connect(config) as smtp:
            for mail in mails:
                smtp.send_message(compose(config, mail))
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"SMTP {config['SMTP_HOST']}:{config['SMTP_PORT']}: {exc}") from exc
    return len(mails)


def _connect(config: dict) -> smtplib.SMTP:
    host, port, security = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_SECURITY"]
    timeout = config["SMTP_TIMEOUT"]
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
    if config["SMTP_USER"]:
        smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
    return smtp
