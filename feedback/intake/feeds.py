"""RSS and Atom feeds of forums and review sites, read with feedparser (RSS 0.9x–2.0, RSS 1.0, Atom).

feedparser honours the charset the feed declares (GB2312, ISO-8859-x…) and the HTTP header's, and
reads the sloppy feeds real sites serve. An entry's guid is its external_id; a feed that pages
(RFC 5005 `rel="next"`) is followed until a page holds nothing new.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import feedparser
from sqlmodel import Session

from feedback.intake.forum import CHANNEL, ForumSource, Http, known_ids
from feedback.intake.incoming import IncomingFeedback, Rejected
from feedback.intake.mailhtml import html_to_text


def feed_entries(session: Session, source: ForumSource, http: Http, now: datetime) -> Iterator[IncomingFeedback | Rejected]:
    """The entries of a feed not stored yet, following its next-page links; a non-feed is quarantined."""
    url, pages = source.url, 0
    while url and pages < source.max_pages:
        body, content_type = http.get(url)
        pages += 1
        parsed = parse_feed(body, content_type)
        if parsed is None:
            yield Rejected(CHANNEL, source.name, body, "not an RSS or Atom feed", url)
            return
        items = [entry_item(entry, source.name, now) for entry in parsed.entries]
        ids = [i.external_id for i in items if isinstance(i, IncomingFeedback)]
        fresh = set(ids) - known_ids(session, source.name, ids)
        yield from (i for i in items if isinstance(i, Rejected) or i.external_id in fresh)
        if not fresh:
            return
        url = _next_page(parsed, source.url)


def _next_page(parsed, base: str) -> str | None:
    """The feed's next page when it is on the configured site; a link elsewhere is not followed."""
    link = next((link.get("href") for link in parsed.feed.get("links", []) if link.get("rel") == "next"), None)
    if not link:
        return None
    link = urljoin(base, link)
    return link if urlsplit(link)[:2] == urlsplit(base)[:2] else None


def parse_feed(body: bytes, content_type: str = "") -> feedparser.FeedParserDict | None:
    """The parsed feed, or None when the document is not a feed at all."""
    headers = {"content-type": content_type} if content_type else {}
    parsed = feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.get("version") and not parsed.entries:
        return None
    return parsed


def entry_item(entry, source: str, now: datetime) -> IncomingFeedback | Rejected:
    """One feed entry: its HTML as text, its guid (else link, else a hash) as external_id."""
    raw = json.dumps(_as_received(entry), ensure_ascii=False, sort_keys=True).encode()
    html = (entry.get("content") or [{}])[0].get("value") or entry.get("summary") or ""
    title = html_to_text(entry.get("title", "")).strip()
    external = entry.get("id") or entry.get("link") or "entry:" + hashlib.blake2b(raw, digest_size=16).hexdigest()
    # dict.get: feedparser's own get() maps updated to published with a deprecation warning
    moment = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return IncomingFeedback(
        channel=CHANNEL, source=source, external_id=external[:255], raw=raw,
        received_at=datetime.fromtimestamp(calendar.timegm(moment), UTC) if moment else now,
        subject=title[:500], body=html_to_text(html), customer=entry.get("author", "")[:200],
    )


def _as_received(entry) -> dict:
    """What the feed said about an entry (its text as HTML), for the raw record."""
    keys = ("id", "link", "title", "author", "published", "updated", "summary", "tags")
    kept = {k: dict.get(entry, k) for k in keys if dict.get(entry, k)}
    if entry.get("content"):
        kept["content"] = [c.get("value", "") for c in entry["content"]]
    if "tags" in kept:
        kept["tags"] = [t.get("term", "") for t in kept["tags"]]
    return kept
