"""HTML mail bodies turned into readable plain text (stdlib parser; no markup survives)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "head", "title", "template", "noscript", "xml"}
# Tags that end a line, and tags that also leave a blank line (a paragraph) around them.
_LINE = {
    "div", "tr", "li", "dt", "dd", "thead", "tbody", "tfoot", "section", "article", "header", "footer",
    "address", "center", "form", "fieldset", "figure", "nav", "aside", "main", "caption", "body",
}
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "hr"}
_CELL = {"td", "th"}
_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_TAGS = re.compile(r"<[^>]*>")
_BLANK_RUNS = re.compile(r"\n{3,}")


class _TextWriter(HTMLParser):
    """Collects visible text as lines; text inside <blockquote> gets "> " so quote stripping sees it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._quote = 0
        self._skip = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP:
            self._skip += 1
            return
        if tag == "body":
            self._skip = 0  # an unclosed <head> must not hide the body
        if tag == "br":
            self._break()
        elif tag in ("blockquote", "pre"):
            self._newline(blank=True)
            self._quote += tag == "blockquote"
            self._pre += tag == "pre"
        else:
            self._open_or_close(tag)
            if tag == "li":
                self._line.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in ("blockquote", "pre"):
            self._newline(blank=True)
            self._quote = max(0, self._quote - (tag == "blockquote"))
            self._pre = max(0, self._pre - (tag == "pre"))
        elif tag != "br":
            self._open_or_close(tag)

    def _open_or_close(self, tag: str) -> None:
        """Line and paragraph breaks at block tags; a tab between table cells."""
        if tag in _PARAGRAPH:
            self._newline(blank=True)
        elif tag in _LINE:
            self._newline()
        elif tag in _CELL and self._line:
            self._line.append("\t")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._pre:
            first, *rest = data.split("\n")
            self._line.append(first)
            for line in rest:
                self._break()
                self._line.append(line)
            return
        text = _SPACES.sub(" ", data).replace("\xa0", " ")  # &nbsp; is layout, not content
        if text.strip() or (self._line and not self._line[-1].endswith(" ")):
            self._line.append(text)

    def _break(self) -> None:
        """<br>: end the line, or make an empty one when the line has nothing yet."""
        if "".join(self._line).strip():
            self._newline()
        else:
            self._line = []
            self.lines.append("> " * self._quote)

    def _newline(self, blank: bool = False) -> None:
        """End the current line if it has text; `blank` also leaves one empty line after it."""
        line = "".join(self._line)
        line = line if self._pre else line.strip(" ")
        self._line = []
        if line:
            self.lines.append("> " * self._quote + line)
        if blank and self.lines and self.lines[-1]:
            self.lines.append("")

    def text(self) -> str:
        """The collected text, trailing spaces and blank-line runs removed."""
        self._newline()
        text = "\n".join(line.rstrip() for line in self.lines)
        return _BLANK_RUNS.sub("\n\n", text).strip()


def html_to_text(markup: str) -> str:
    """Readable text of an HTML body: scripts and styles dropped, blocks on their own lines, entities unescaped."""
    writer = _TextWriter()
    try:
        writer.feed(markup)
        writer.close()
    except Exception:  # html.parser has asserted on broken markup in some versions; fall back to tag stripping
        return _SPACES.sub(" ", html.unescape(_TAGS.sub(" ", markup))).strip()
    return writer.text()
