"""The forum poller: Discourse through its JSON API, and any RSS / Atom feed (feeds.py).

A post's id is its external_id, so an edited post or a second poll stores nothing twice. Paging
stops at the first page whose posts are all stored already, so a poll reads only what is new
(a first poll reads back `max_pages` pages).
"""

from __future__ import annotations

import json
import logging
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from feedback import clock, intake
from feedback.errors import Invalid
from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.intake.mailhtml import html_to_text
from feedback.intake.rows import parse_when
from feedback.models import Feedback, ImportRun

log = logging.getLogger(__name__)
CHANNEL = "forum"
KINDS = ("discourse", "feed")
MAX_RESPONSE = 20 * 1024 * 1024
USER_AGENT = "feedback-tracker/1 (forum poller)"
POST_IDS_PER_REQUEST = 20  # what Discourse returns per /t/{id}/posts.json request


@dataclass(frozen=True)
class ForumSource:
    """One configured forum or feed (an entry of FORUMS)."""

    name: str
    kind: str
    url: str
    topics: tuple[int, ...] = ()  # Discourse topics followed post by post, besides the latest posts
    api_key: str = ""
    api_username: str = ""
    max_pages: int = 20


def sources_from_config(entries: list[dict], *, only: tuple[str, ...] = (), max_pages: int = 20) -> list[ForumSource]:
    """FORUMS entries as sources; a wrong entry fails loudly, naming it."""
    sources = []
    for index, entry in enumerate(entries):
        where = f"FORUMS[{index}]"
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("url"):
            raise Invalid(f"{where}: needs a name and a url")
        if entry.get("kind", "feed") not in KINDS:
            raise Invalid(f"{where}: kind must be one of {', '.join(KINDS)}")
        if urllib.parse.urlsplit(entry["url"]).scheme not in ("http", "https"):
            raise Invalid(f"{where}: url must be http or https")
        topics = tuple(int(t) for t in entry.get("topics", ()))
        sources.append(ForumSource(entry["name"], entry.get("kind", "feed"), entry["url"].rstrip("/"), topics,
                                   entry.get("api_key", ""), entry.get("api_username", ""),
                                   int(entry.get("max_pages", max_pages))))
    unknown = set(only) - {s.name for s in sources}
    if unknown:
        raise Invalid(f"no forum named {', '.join(sorted(unknown))} in FORUMS")
    return [s for s in sources if not only or s.name in only]


def fetch_all(session: Session, sources: list[ForumSource], *, now: Callable[[], datetime], timeout: float = 20) -> list[ImportRun]:
    """Poll every source; one that fails has the error on its run and the others still run."""
    return [fetch_source(session, source, now=now, timeout=timeout) for source in sources]


def fetch_source(session: Session, source: ForumSource, *, now: Callable[[], datetime], timeout: float = 20) -> ImportRun:
    """Read a source's new posts and store them; errors end up on the import run."""
    from feedback.intake import feeds

    run = intake.start_run(session, channel=CHANNEL, source=source.name, file_name=source.url, now=now())
    http = Http(source, timeout)
    reader = discourse_posts if source.kind == "discourse" else feeds.feed_entries
    try:
        intake.store(session, reader(session, source, http, now=now()), run=run, now=now())
    except Exception as exc:  # an unreachable forum or a broken page must not stop the other sources
        session.rollback()
        log.warning("forum %s: %s", source.name, exc)
        return intake.finish_run(session, run, now=now(), error=f"{type(exc).__name__}: {exc}")
    return intake.finish_run(session, run, now=now())


class Http:
    """GET with a timeout, a size cap and the forum's API key (Discourse private forums)."""

    def __init__(self, source: ForumSource, timeout: float) -> None:
        self.source, self.timeout = source, timeout

    def get(self, url: str) -> tuple[bytes, str]:
        """The body and the Content-Type of a URL."""
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json, application/rss+xml, application/atom+xml, */*"}
        if self.source.api_key:
            headers |= {"Api-Key": self.source.api_key, "Api-Username": self.source.api_username or "system"}
        request = urllib.request.Request(url, headers=headers)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (http/https checked)
            body = response.read(MAX_RESPONSE + 1)
            if len(body) > MAX_RESPONSE:
                raise ValueError(f"{url} sent more than {MAX_RESPONSE // (1024 * 1024)} MB")
            return body, response.headers.get("Content-Type", "")

    def json(self, url: str):
        body, _type = self.get(url)
        return json.loads(body)


def known_ids(session: Session, source: str, ids: list[str]) -> set[str]:
    """Which of these external ids are stored already for this source."""
    if not ids:
        return set()
    return set(session.exec(select(Feedback.external_id).where(
        Feedback.channel == CHANNEL, Feedback.source == source, Feedback.external_id.in_(ids))))


# --- Discourse ----------------------------------------------------------------------------------


def discourse_posts(session: Session, source: ForumSource, http: Http, now: datetime) -> Iterator[IncomingFeedback | Rejected]:
    """The latest posts (newest first, paged back with ?before=), then the followed topics' posts."""
    url, pages = f"{source.url}/posts.json", 0
    while url and pages < source.max_pages:
        posts = http.json(url).get("latest_posts") or []
        pages += 1
        ids = [str(p.get("id")) for p in posts]
        fresh = set(ids) - known_ids(session, source.name, ids)
        yield from (post_item(p, source.name, now) for p in posts if str(p.get("id")) in fresh and _is_post(p))
        if not fresh or not posts:
            break
        lowest = min(int(p["id"]) for p in posts if str(p.get("id", "")).isdigit())
        url = f"{source.url}/posts.json?before={lowest}"
    for topic in source.topics:
        yield from _topic_posts(session, source, http, topic, now)


def _topic_posts(session: Session, source: ForumSource, http: Http, topic: int, now: datetime) -> Iterator:
    """Every post of a topic not stored yet: the topic's stream of ids, fetched 20 at a time."""
    data = http.json(f"{source.url}/t/{topic}.json")
    stream = data.get("post_stream", {})
    title = data.get("title", "")
    first = {str(p.get("id")): p for p in stream.get("posts", [])}
    ids = [str(i) for i in stream.get("stream", first)]
    known = known_ids(session, source.name, ids)
    missing = [i for i in ids if i not in known]
    yield from (post_item(first[i], source.name, now, title=title) for i in missing if i in first and _is_post(first[i]))
    rest = [i for i in missing if i not in first]
    for start in range(0, len(rest), POST_IDS_PER_REQUEST):
        query = urllib.parse.urlencode([("post_ids[]", i) for i in rest[start:start + POST_IDS_PER_REQUEST]])
        page = http.json(f"{source.url}/t/{topic}/posts.json?{query}")
        posts = page.get("post_stream", {}).get("posts", [])
        yield from (post_item(p, source.name, now, title=title) for p in posts if _is_post(p))


def _is_post(post) -> bool:
    """Regular posts only: "closed this topic" and other small actions are not anyone's feedback."""
    return not isinstance(post, dict) or post.get("post_type", 1) == 1


def post_item(post: dict, source: str, now: datetime, *, title: str = "") -> IncomingFeedback | Rejected:
    """One Discourse post: its `cooked` HTML as text, its id as external_id, the JSON as received as raw."""
    raw = json.dumps(post, ensure_ascii=False).encode()
    if not isinstance(post, dict) or post.get("id") is None:
        return Rejected(CHANNEL, source, raw, "a post without an id")
    created = _when(post.get("created_at")) or now
    item = IncomingFeedback(
        channel=CHANNEL, source=source, external_id=str(post["id"]), received_at=created, raw=raw,
        subject=post.get("topic_title") or title or "", body=html_to_text(post.get("cooked") or ""),
        customer=post.get("name") or post.get("username") or "", contact="@" + post["username"] if post.get("username") else "",
    )
    if post.get("deleted_at") or post.get("hidden"):
        item.not_a_problem = "hidden or deleted post"
    elif post.get("staff") or post.get("admin") or post.get("moderator"):
        item.not_a_problem = "staff post"
    return item


def _when(value) -> datetime | None:
    return parse_when(value, zone=clock.UTC) if isinstance(value, str) and value else None
