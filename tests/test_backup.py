"""`feedback backup` and `feedback restore`: a restored backup holds every row it was taken with."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from feedback import intake, tokens
from feedback.cli import main
from feedback.intake import Attachment, Rejected
from tests.factories import NOW, make_ticket, make_user


def _every_row(engine) -> dict[str, list[tuple]]:
    """Each table's rows in primary-key order."""
    with engine.connect() as connection:
        return {
            table.name: [tuple(row) for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))]
            for table in SQLModel.metadata.sorted_tables
        }


def _fill(session) -> None:
    for n in range(3):
        make_ticket(session, order_ref=f"SO-{n}", attachments=[Attachment(f"photo{n}.png", "image/png", bytes(range(256)))])
    make_user(session, role="viewer", name="Lü Wěi 吕伟")
    tokens.create_token(session, name="shop", scopes=["feedback:write"], user=None, now=NOW)
    intake.import_items(session, [Rejected("email", "inbox", b"\x00\xff junk", "unreadable")], channel="email",
                        source="inbox", now=lambda: NOW)


def test_a_restored_backup_has_every_row(app, runner, session, loaded_taxonomy, tmp_path):
    engine = app.extensions["feedback.engine"]
    _fill(session)
    before = _every_row(engine)
    assert sum(map(len, before.values())) > 50 and all(before[t] for t in ("feedback", "ticket", "attachment", "quarantine"))
    out = tmp_path / "nightly.bak"
    result = runner.invoke(main, ["backup", "--out", str(out)])
    assert result.exit_code == 0 and "backup written" in result.output, result.output
    assert not out.with_name(out.name + ".partial").exists()

    make_ticket(session, order_ref="SO-after")  # work done after the backup…
    session.execute(sa.text("UPDATE ticket SET title = 'changed'"))
    session.commit()
    session.close()
    assert _every_row(engine) != before

    result = runner.invoke(main, ["restore", str(out), "--yes"])
    assert result.exit_code == 0, result.output
    assert _every_row(engine) == before  # …is gone; everything backed up is back, byte for byte


def test_backup_goes_to_the_instance_by_default(app, runner, session, loaded_taxonomy):
    result = runner.invoke(main, ["backup"])
    assert result.exit_code == 0, result.output
    backups = list((Path(app.instance_path) / "backups").iterdir())
    assert len(backups) == 1 and backups[0].stat().st_size > 0


def test_restore_refuses_a_file_that_is_no_backup(app, runner, session, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = runner.invoke(main, ["restore", str(bogus), "--yes"])
    assert result.exit_code != 0 and "is not a" in result.output


def test_restore_asks_first(app, runner, session, tmp_path):
    out = tmp_path / "b.bak"
    runner.invoke(main, ["backup", "--out", str(out)])
    result = runner.invoke(main, ["restore", str(out)], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
