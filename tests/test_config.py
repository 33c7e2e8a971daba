from pathlib import Path

from feedback import create_app


def test_defaults_put_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path / "inst"))
    monkeypatch.delenv("FEEDBACK_DATABASE_URL", raising=False)
    app = create_app()
    assert Path(app.instance_path) == tmp_path / "inst"
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'inst' / 'feedback.db'}"
    assert app.config["TIMEZONE"] == "Asia/Shanghai"


def test_instance_config_then_environment_then_overrides(tmp_path, monkeypatch):
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "config.py").write_text('TIMEZONE = "Europe/Berlin"\nPAGE_SIZE = 20\nSECRET_KEY = "from-file"\n')
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("FEEDBACK_PAGE_SIZE", "30")
    monkeypatch.setenv("FEEDBACK_SCHEDULER", "false")
    monkeypatch.setenv("FEEDBACK_EXTRA_HOLIDAYS", '["2027-01-04"]')
    app = create_app({"SECRET_KEY": "from-overrides"})
    assert app.config["TIMEZONE"] == "Europe/Berlin"  # file beats default
    assert app.config["PAGE_SIZE"] == 30  # environment beats file, typed like the default
    assert app.config["SCHEDULER"] is False
    assert app.config["EXTRA_HOLIDAYS"] == ["2027-01-04"]
    assert app.config["SECRET_KEY"] == "from-overrides"


def test_database_url_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("FEEDBACK_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    app = create_app()
    assert app.extensions["feedback.engine"].dialect.name == "postgresql"
