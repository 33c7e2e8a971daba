"""`feedback import email` over the ~470 real third-party mails: each stored or quarantined, none lost."""

import sqlalchemy as sa

from feedback.cli import main
from feedback.intake import Rejected, read_mail
from feedback.intake.email import EmailLimits
from feedback.intake.mailsource import iter_mail_path
from feedback.models import Attachment, Feedback, ImportRun, Quarantine


def test_every_shared_mail_is_stored_or_quarantined_on_both_databases(runner, session, shared_data):
    mails = shared_data / "email"
    expected = sum(1 for _ in iter_mail_path(mails))
    result = runner.invoke(main, ["import", "email", str(mails), "--source", "shared"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    run = session.exec(sa.select(ImportRun)).scalar_one()
    assert run.new_count + run.duplicate_count + run.quarantined_count == expected
    assert run.new_count > 400 and run.errors == ""
    stored = session.execute(sa.select(sa.func.count()).select_from(Feedback)).scalar_one()
    held = session.execute(sa.select(sa.func.count()).select_from(Quarantine)).scalar_one()
    assert (stored, held) == (run.new_count, run.quarantined_count)
    assert all(session.exec(sa.select(Quarantine.reason)).scalars())
    assert session.execute(sa.select(sa.func.count()).select_from(Attachment)).scalar_one() > 0

    again = runner.invoke(main, ["import", "email", str(mails), "--source", "shared"], catch_exceptions=False)
    assert f"0 new, {expected} duplicate, 0 quarantined" in again.output


def test_chinese_mails_are_decoded_in_the_database(runner, session, shared_data):
    for name in ("demisto-parse-emails/chinese_gbk_encoding.eml", "php-imap-eml/gbk_charset.eml"):
        runner.invoke(main, ["import", "email", str(shared_data / "email" / name)], catch_exceptions=False)
    bodies = " ".join(session.exec(sa.select(Feedback.subject + " " + Feedback.body)).scalars())
    assert any("\u4e00" <= ch <= "\u9fff" for ch in bodies), bodies[:200]


def test_parallel_parsing_gives_the_same_items_in_the_same_order(shared_data):
    folder = shared_data / "email" / "hunnysoft-mime-samples"
    serial = list(read_mail(folder, source="s", limits=EmailLimits(), workers=1))
    parallel = list(read_mail(folder, source="s", limits=EmailLimits(), workers=2))
    assert len(serial) == len(parallel) > 50
    assert [type(i).__name__ for i in serial] == [type(i).__name__ for i in parallel]
    def identity(item):
        return item.reason if isinstance(item, Rejected) else (item.external_id, item.subject, item.body)

    assert [identity(i) for i in serial] == [identity(i) for i in parallel]
    assert [i.raw for i in serial] == [i.raw for i in parallel]
