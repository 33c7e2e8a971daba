import pytest

from feedback import mail
from tests.smtp import _smtp_controller, smtp_inbox  # noqa: F401


def test_mails_arrive_with_text_and_html_parts(app, smtp_inbox):  # noqa: F811
    sent = mail.send(app.config, [
        mail.Outgoing(to="head@example.com", subject="FB-000042 assigned to you", text="Please look.",
                      html="<p>Please <b>look</b>.</p>", ticket_number="FB-000042"),
        mail.Outgoing(to="other@example.com", subject="Digest", text="Nothing overdue."),
    ])
    assert sent == 2 and len(smtp_inbox.mails) == 2
    first = smtp_inbox.to("head@example.com")[0]
    assert first["Subject"] == "FB-000042 assigned to you"
    assert first.get_body(("plain",)).get_content().strip() == "Please look."
    assert "<b>look</b>" in first.get_body(("html",)).get_content()
    assert "FB-000042" in first["Message-ID"] and first["Auto-Submitted"] == "auto-generated"
    assert smtp_inbox.to("other@example.com")[0].get_content_type() == "text/plain"


def test_chinese_subjects_and_bodies_survive(app, smtp_inbox):  # noqa: F811
    mail.send(app.config, [mail.Outgoing(to="li@example.com", subject="工单已分配给您", text="请在今天处理。")])
    received = smtp_inbox.to("li@example.com")[0]
    assert received["Subject"] == "工单已分配给您"
    assert received.get_body(("plain",)).get_content().strip() == "请在今天处理。"


def test_an_unreachable_server_is_a_mail_error(app):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_TIMEOUT=2)
    with pytest.raises(mail.MailError, match="127.0.0.1:1"):
        mail.send(app.config, [mail.Outgoing(to="x@example.com", subject="s", text="t")])


def test_nothing_to_send_opens_no_connection(app):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1)
    assert mail.send(app.config, []) == 0
