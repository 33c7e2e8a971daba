"""Markdown to safe HTML: the only place the app produces trusted markup."""

from __future__ import annotations

import html

import markdown as markdown_lib
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
    "img", "span", "div", "svg", "g", "rect", "line", "polyline", "text", "title",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "span": {"class"},
    "div": {"class"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Python-Markdown's backslash-escapable characters.
MARKDOWN_SPECIAL = set("\\`*_{}[]()#+-.!")  # ">" and "<" are made entities below


def render_markdown(text: str) -> Markup:
    """Markdown → HTML → nh3 allow-list; links and images only to http(s)/mailto or relative paths."""
    rendered = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html",
                                      extension_configs={"tables": {"use_align_attribute": True}})  # nh3 drops style=
    clean = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def escape_markdown(text: str) -> str:
    """Customer text made inert inside Markdown: syntax characters escaped, then HTML escaped."""
    escaped = "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in text or "")
    return " ".join(html.escape(escaped, quote=False).split())
