import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from feedback import demo, demo_texts
from feedback.cli import main
from feedback.models import Category, Feedback, User


def run(runner, *args, input=None):
    result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
    return result


def test_help_lists_the_commands():
    script = Path(sys.executable).parent / "feedback"
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("db", "init", "serve", "scheduler", "taxonomy", "user"):
        assert f"  {command} " in out


def test_init_with_demo_creates_people_once(runner, session):
    result = run(runner, "init", "--demo")
    assert result.exit_code == 0, result.output
    assert f"demo: {len(demo.DEMO_USERS)} users" in result.output
    assert f"{len(demo_texts.EMAILS) + 2} mails" in result.output
    kept_out = set(session.exec(sa.select(Feedback.not_a_problem).where(Feedback.not_a_problem != "")).scalars())
    assert kept_out == {"follow-up", "auto-reply"}
    assert session.execute(sa.select(sa.func.count()).select_from(Category)).scalar_one() == 15
    again = run(runner, "init", "--demo")
    assert "demo:" not in again.output and "0 created" in again.output
    roles = set(session.exec(sa.select(User.role)).scalars())
    assert roles == {"admin", "manager", "head", "agent", "viewer"}


def test_user_create_and_list(runner, session, loaded_taxonomy):
    result = run(runner, "user", "create", "--email", "Ops@Example.com", "--name", "Ops", "--role", "head",
                 "--department", "site", input="long-password\nlong-password\n")
    assert result.exit_code == 0 and "created ops@example.com (head)" in result.output
    assert "ops@example.com" in run(runner, "user", "list").output


def test_user_create_reports_bad_input(runner, loaded_taxonomy):
    result = runner.invoke(main, ["user", "create", "--email", "x@example.com", "--name", "X", "--role", "head",
                                  "--password", "long-password"])
    assert result.exit_code == 1 and "a head needs a department" in result.output


def test_db_commands(runner):
    assert "at revision" in run(runner, "db", "upgrade").output
    assert run(runner, "db", "current").output.strip() != ""


def test_taxonomy_load_from_a_file(runner, session, tmp_path):
    assert "36 created, 0 updated" in run(runner, "taxonomy", "load").output
    assert "0 created, 0 updated" in run(runner, "taxonomy", "load").output
    custom = tmp_path / "mine.toml"
    custom.write_text('[[department]]\nkey = "warehouse"\nname_en = "Warehouse"\nname_zh = "仓储部"\n', encoding="utf-8")
    assert "1 created, 0 updated" in run(runner, "taxonomy", "load", "--file", str(custom)).output


def test_a_bulk_import_lowers_its_own_cpu_priority():
    """Pages first: `feedback import` renices itself (and the classifier it forks) by IMPORT_NICE."""
    code = ("import os; from feedback.cli.imports import _yield_cpu; before = os.nice(0); "
            "_yield_cpu(5); print(os.nice(0) - before); _yield_cpu(0); print(os.nice(0) - before)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["5", "5"]


def _autogroup_after_yield(**popen) -> str:
    code = "from feedback.cli.imports import _yield_cpu; _yield_cpu(7); print(open('/proc/self/autogroup').read())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, **popen).stdout


def test_an_import_in_a_session_of_its_own_lowers_its_sessions_share_too():
    """Linux's autogroup shares CPU between sessions before nice counts: a scheduled or `setsid` import
    nices its own session; one started from a shell leaves the shell's session alone."""
    assert _autogroup_after_yield(start_new_session=True).strip().endswith("nice 7")
    # Same session, same autogroup: the child reads what this process reads (empty where the session is the
    # kernel's default group, as in a container whose init never started a session).
    assert _autogroup_after_yield().strip() == open("/proc/self/autogroup").read().strip()


def test_a_command_process_freezes_its_start_up_heap(tmp_path):
    """`feedback …` builds its app, then freezes it out of the collector's reach (bulk commands never walk it)."""
    code = "import gc; from feedback.cli import _create_app; _create_app(); print(gc.get_freeze_count())"
    env = {"FEEDBACK_INSTANCE_PATH": str(tmp_path), "FEEDBACK_LOG_JSON": "false", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert int(done.stdout) > 50_000


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_scheduler_stops_on_sigterm_and_sigint_even_when_started_with_sigint_ignored(tmp_path, stop):
    """systemd stops it with SIGTERM; a shell's background job inherits SIGINT ignored: either way it exits, cleanly."""
    script = Path(sys.executable).parent / "feedback"
    env = os.environ | {"FEEDBACK_INSTANCE_PATH": str(tmp_path), "FEEDBACK_LOG_JSON": "false"}
    subprocess.run([str(script), "init"], env=env, check=True, capture_output=True)
    log = tmp_path / "scheduler.log"  # a file: a pipe nobody drains would block the scheduler's logging
    scheduler = subprocess.Popen([str(script), "scheduler"], env=env, stderr=log.open("wb"),
                                 preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 30
        while "scheduler running" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        scheduler.send_signal(stop)
        assert scheduler.wait(timeout=30) == 0
    finally:
        scheduler.kill()
