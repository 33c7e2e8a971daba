"""The forum poller against a real HTTP server on loopback serving ../shared/data/forum.

The server pages the real Discourse export the way Discourse does (`posts.json?before=`, a topic's
stream fetched by `post_ids[]`), and serves every shared feed file as it is.
"""

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import feedparser
import pytest
import sqlalchemy as sa

from feedback import jobs
from feedback.cli import main
from feedback.intake import forum
from feedback.models import Feedback, ImportRun, Quarantine
from tests.factories import NOW

PAGE = 20  # posts per page, as Discourse serves them


class FakeDiscourse:
    """What the server knows: the real posts, which tests may edit between polls."""

    def __init__(self, data):
        export = data / "forum" / "discourse-real-forum-export"
        self.latest = json.loads((export / "posts.json").read_text())["latest_posts"]
        topic = [json.loads((export / name).read_text())["post_stream"]["posts"]
                 for name in ("t_2108_posts.json", "t_2108_posts_pn_41.json")]
        self.topic = sorted(topic[0] + topic[1], key=lambda p: p["post_number"])
        self.feeds = data / "forum" / "rss-parser-feeds"
        self.export = export
        self.requests: list[str] = []

    def respond(self, path: str, query: dict) -> tuple[int, str, bytes]:
        self.requests.append(path)
        if path == "/posts.json":
            before = int(query.get("before", ["999999999"])[0])
            posts = [p for p in self.latest if p["id"] < before][:PAGE]
            return _json({"latest_posts": posts})
        if path == "/t/2108.json":
            return _json({"id": 2108, "title": "Comments on The Boyfriend's Introduction to Feminism",
                          "post_stream": {"posts": self.topic[:PAGE], "stream": [p["id"] for p in self.topic]}})
        if path == "/t/2108/posts.json":
            wanted = {int(i) for i in query.get("post_ids[]", [])}
            return _json({"id": 2108, "post_stream": {"posts": [p for p in self.topic if p["id"] in wanted]}})
        if path.startswith("/feeds/") and (self.feeds / path[7:]).is_file():
            return 200, "application/xml", (self.feeds / path[7:]).read_bytes()
        if path.startswith("/export/") and (self.export / path[8:]).is_file():
            return 200, "application/rss+xml; charset=utf-8", (self.export / path[8:]).read_bytes()
        return 404, "text/plain", b"not here"


def _json(data) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(data).encode()


@pytest.fixture
def discourse(shared_data):
    site = FakeDiscourse(shared_data)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            parts = urlsplit(self.path)
            status, kind, body = site.respond(parts.path, parse_qs(parts.query))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://127.0.0.1:{server.server_port}"
    yield site
    server.shutdown()
    server.server_close()


def poll(session, *entries):
    sources = forum.sources_from_config(list(entries))
    return forum.fetch_all(session, sources, now=lambda: NOW, timeout=5)


def stored(session, *where) -> int:
    return session.execute(sa.select(sa.func.count()).select_from(Feedback).where(*where)).scalar_one()


def test_latest_posts_are_paged_back_and_stored_once(session, discourse):
    (run,) = poll(session, {"name": "cf", "kind": "discourse", "url": discourse.url})
    assert (run.new_count, run.duplicate_count, run.quarantined_count, run.errors) == (50, 0, 0, "")
    assert discourse.requests.count("/posts.json") == 4  # 20 + 20 + 10, then an empty page
    post = session.exec(sa.select(Feedback).where(Feedback.external_id == "20218")).scalar_one()
    assert post.subject == "People Being Bad at Logic" and post.contact == "@Elliot"
    assert "<p>" not in post.body and post.body.startswith("I was talking with someone about people")
    assert "> The famous Linda Problem" in post.body  # quotes kept, marked as quotes
    assert json.loads(post.raw)["id"] == 20218
    discourse.requests.clear()
    (again,) = poll(session, {"name": "cf", "kind": "discourse", "url": discourse.url})
    assert (again.new_count, again.duplicate_count) == (0, 0)
    assert discourse.requests == ["/posts.json"]  # nothing new on the first page: stop there


def test_an_edited_post_is_not_stored_again(session, discourse):
    poll(session, {"name": "cf", "kind": "discourse", "url": discourse.url})
    original = session.exec(sa.select(Feedback.body).where(Feedback.external_id == "20218")).scalar_one()
    edited = copy.deepcopy(discourse.latest[0])
    edited.update(cooked="<p>Edited: completely different now</p>", version=2, updated_at="2026-01-22T10:00:00.000Z")
    discourse.latest[0] = edited
    new_post = copy.deepcopy(edited) | {"id": 20300, "cooked": "<p>The app <b>crashes</b> at checkout</p>"}
    discourse.latest.insert(0, new_post)
    (run,) = poll(session, {"name": "cf", "kind": "discourse", "url": discourse.url})
    assert run.new_count == 1
    assert session.exec(sa.select(Feedback.body).where(Feedback.external_id == "20218")).scalar_one() == original
    assert session.exec(sa.select(Feedback.body).where(Feedback.external_id == "20300")).scalar_one() == "The app crashes at checkout"


def test_a_followed_topic_is_read_through_its_stream(session, discourse):
    (run,) = poll(session, {"name": "cf", "kind": "discourse", "url": discourse.url, "topics": [2108]})
    assert run.errors == "" and run.new_count == 50 + len(discourse.topic)
    assert discourse.requests.count("/t/2108/posts.json") == 1  # the 20 after the first page, in one request
    first = session.exec(sa.select(Feedback).where(Feedback.external_id == "18843")).scalar_one()
    assert first.subject.startswith("Comments on The Boyfriend")
    assert "This is a companion discussion topic" in first.body
    discourse.requests.clear()
    poll(session, {"name": "cf", "kind": "discourse", "url": discourse.url, "topics": [2108]})
    assert "/t/2108/posts.json" not in discourse.requests


def test_every_shared_feed_is_stored_or_quarantined_and_gb2312_is_decoded(session, discourse):
    names = sorted(p.name for p in discourse.feeds.iterdir() if p.suffix in (".rss", ".atom", ".xml"))
    assert len(names) >= 40
    runs = poll(session, *({"name": name, "kind": "feed", "url": f"{discourse.url}/feeds/{name}"} for name in names))
    for name, run in zip(names, runs):
        entries = feedparser.parse((discourse.feeds / name).read_bytes()).entries
        handled = run.new_count + run.duplicate_count + run.quarantined_count
        assert run.errors == "", (name, run.errors)
        assert handled == max(len(entries), 1), name  # a non-feed is one quarantined document
    chinese = session.exec(sa.select(Feedback.subject).where(Feedback.source == "encoding-gb2312.xml")).scalars().all()
    assert "习近平为何如此强调崇尚英雄？" in chinese
    held = session.exec(sa.select(Quarantine).where(Quarantine.source == "unrecognized.rss")).scalar_one()
    assert held.reason == "not an RSS or Atom feed"
    again = poll(session, {"name": "guardian.rss", "kind": "feed", "url": f"{discourse.url}/feeds/guardian.rss"})
    assert (again[0].new_count, again[0].duplicate_count) == (0, 0)


def test_the_forum_rss_gives_the_same_posts_as_the_json(session, discourse):
    (run,) = poll(session, {"name": "cf-rss", "kind": "feed", "url": f"{discourse.url}/export/posts.rss"})
    assert run.new_count == 50
    post = session.exec(sa.select(Feedback).where(Feedback.source == "cf-rss", Feedback.subject == "People Being Bad at Logic")).scalars().first()
    assert post.external_id == "discuss.criticalfallibilism.com-post-20218"
    assert post.body.startswith("I was talking with someone about people")


def test_an_unreachable_forum_is_an_error_on_its_run_and_the_others_still_run(session, discourse):
    runs = poll(session, {"name": "gone", "kind": "discourse", "url": f"{discourse.url}/nowhere"},
                {"name": "cf", "kind": "discourse", "url": discourse.url})
    assert "HTTPError" in runs[0].errors and runs[0].finished_at is not None
    assert runs[1].new_count == 50
    assert session.execute(sa.select(sa.func.count()).select_from(ImportRun)).scalar_one() == 2


def test_fetch_forum_command_and_scheduled_job(app, runner, session, discourse):
    app.config["FORUMS"] = [{"name": "cf", "kind": "discourse", "url": discourse.url}]
    result = runner.invoke(main, ["fetch-forum"], catch_exceptions=False)
    assert result.exit_code == 0 and "cf: 50 new, 0 duplicate, 0 quarantined — ok" in result.output
    scheduler = jobs.build_scheduler(app)
    assert scheduler.get_job("fetch-forum") is not None
    scheduler.get_job("fetch-forum").func()  # the job itself: nothing new since the command
    assert stored(session) == 50


def test_wrong_forum_settings_fail_loudly():
    with pytest.raises(Exception, match="kind must be"):
        forum.sources_from_config([{"name": "x", "url": "http://x", "kind": "nntp"}])
    with pytest.raises(Exception, match="http or https"):
        forum.sources_from_config([{"name": "x", "url": "file:///etc/passwd"}])
