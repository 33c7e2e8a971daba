"""The rule layer: taxonomy keywords (strong) and our cue lexicon (weak), matched the same way.

English phrases match on word boundaries, Chinese ones as substrings, both on lower-cased NFKC
text. Rules alone decide when no model is trained; with a model they become its features.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

OTHER = "other"
PRAISE = "praise"
# Rules-only confidence: one category named → CLEAR; several → CLEAR times the winner's share.
CLEAR, SURE = 0.7, 0.8


def normalize(text: str) -> str:
    """NFKC folds full-width letters, digits and punctuation; lower-case for matching."""
    return unicodedata.normalize("NFKC", text or "").lower()


TOKEN = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
# Words that turn praise around when they come just before it ("not good", "不满意", "没有惊喜").
NEGATORS_EN = frozenset(
    "not no never hardly barely nothing dont didnt doesnt isnt wasnt arent werent cant couldnt wont wouldnt".split()
)
SOFTENERS_EN = frozenset("very so that too really quite at all much".split())  # "not very good", "not at all happy"
NEGATORS_ZH = ("不", "没", "没有", "无", "毫无", "并不", "不太", "不是很", "不怎么", "不够", "一点也不", "一点都不", "不算", "谈不上", "称不上")
HAN = re.compile(r"[\u3400-\u9fff]")
ENGLISH_WORD = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Word-boundary units for English phrases: runs of letters/digits, and every other character alone."""
    return TOKEN.findall(text)


class Matcher:
    """Finds every phrase occurrence in one pass per text: English as token n-grams, Chinese as substrings.

    A dictionary look-up per position (rather than a regex per category) keeps rules at tens of
    thousands of texts per second and counts overlapping phrases of different categories.
    """

    def __init__(self, columns: Sequence[tuple[Iterable[str], Iterable[str], Iterable[str]]], *,
                 negatable: Iterable[int] = (), negated: int | None = None):
        """negatable: columns whose phrases, right after a negator, count for column `negated` instead."""
        self.negatable, self.negated = frozenset(negatable), negated
        self.english: dict[str, list[int]] = {}
        self.chinese: dict[str, list[int]] = {}
        self.patterns: list[tuple[re.Pattern, int]] = []
        for column, (en, zh, raw) in enumerate(columns):
            for phrase in en:
                if key := " ".join(tokens(normalize(phrase).strip())):
                    self.english.setdefault(key, []).append(column)
            for phrase in zh:
                if key := normalize(phrase).strip():
                    self.chinese.setdefault(key, []).append(column)
            self.patterns += [(re.compile(p), column) for p in raw]
        # Only phrase lengths that start with this token / character are tried: most start none.
        self.english_starts: dict[str, list[int]] = {}
        for key in self.english:
            self.english_starts.setdefault(key.split(" ", 1)[0], []).append(key.count(" ") + 1)
        self.chinese_starts: dict[str, list[int]] = {}
        for key in self.chinese:
            self.chinese_starts.setdefault(key[0], []).append(len(key))
        for table in (self.english_starts, self.chinese_starts):
            for first, lengths in table.items():
                table[first] = sorted(set(lengths))
        # Cheap checks in C skip the Python loops for most texts: a text with no phrase's first word (or,
        # when every English phrase starts with a letter or digit, with neither, as most Chinese texts) has
        # no English phrase; a pattern runs only on texts holding the plain text it cannot match without.
        self.english_first = frozenset(self.english_starts)
        self.english_needs_alnum = all(ENGLISH_WORD.fullmatch(w) for w in self.english_first)
        self.pattern_needs = [required_text(pattern) for pattern, _column in self.patterns]

    def counts(self, text: str) -> dict[int, int]:
        """Occurrences per column in a normalized text."""
        found: dict[int, int] = {}

        def add(columns, negated=None):
            for column in columns:
                if column in self.negatable and negated is not None and negated():
                    if self.negated is None:
                        continue
                    column = self.negated
                found[column] = found.get(column, 0) + 1

        words = tokens(text) if not self.english_needs_alnum or ENGLISH_WORD.search(text) else ()
        if not self.english_first.isdisjoint(words):
            size, english, starts = len(words), self.english, self.english_starts
            for i, word in enumerate(words):
                for n in starts.get(word, ()):
                    if i + n > size:  # a slice past the end would match a shorter phrase twice
                        break
                    if (columns := english.get(" ".join(words[i:i + n]))) is not None:
                        add(columns, lambda: negated_english(words, i))
        if self.chinese_starts and HAN.search(text):
            size, chinese, starts = len(text), self.chinese, self.chinese_starts
            for i, char in enumerate(text):
                for n in starts.get(char, ()):
                    if i + n > size:
                        break
                    if (columns := chinese.get(text[i:i + n])) is not None:
                        add(columns, lambda: text.endswith(NEGATORS_ZH, max(0, i - 4), i))
        for (pattern, column), needs in zip(self.patterns, self.pattern_needs):
            if needs in text and (hits := len(pattern.findall(text))):
                found[column] = found.get(column, 0) + hits
        return found


def negated_english(words: Sequence[str], i: int) -> bool:
    """Whether the phrase starting at word i follows a negator, maybe softened ("not very", "didn't really")."""
    j = i - 1
    while j >= 0 and words[j] in SOFTENERS_EN and j >= i - 2:
        j -= 1
    if j < 0:
        return False
    return words[j] in NEGATORS_EN or (words[j] == "t" and j >= 1 and words[j - 1] in ("'", "\u2019"))


def required_text(pattern: re.Pattern) -> str:
    """The longest run of plain characters every match of a pattern contains: a text without it cannot match.

    Read from the parsed pattern's top level; '' (always try the pattern) when it cannot be read or ignores case.
    """
    if pattern.flags & re.IGNORECASE:
        return ""
    try:
        from re import _constants, _parser  # the stdlib's own pattern parser (Python 3.11+)

        runs, run = [], ""
        for op, value in _parser.parse(pattern.pattern, pattern.flags):
            run = run + chr(value) if op is _constants.LITERAL else runs.append(run) or ""
        return max([*runs, run], key=len)
    except Exception:  # noqa: BLE001 - an unreadable pattern is simply always tried
        return ""


def read_cues(instance_path: str | Path | None = None) -> dict:
    """The shipped cue lexicon, with an instance's cues.toml added to it when present."""
    cues = tomllib.loads((resources.files("feedback.classify") / "cues.toml").read_text(encoding="utf-8"))
    extra = Path(instance_path) / "cues.toml" if instance_path else None
    if extra and extra.exists():
        for key, more in tomllib.loads(extra.read_text(encoding="utf-8")).get("cues", {}).items():
            mine = cues["cues"].setdefault(key, {})
            for field, words in more.items():
                mine[field] = list(mine.get(field, [])) + list(words)
    return cues


@dataclass
class Lexicon:
    """Compiled rules for a list of categories (in taxonomy order, which breaks ties).

    Columns: 0..n-1 taxonomy keywords per category (strong), n..2n-1 cues per category (weak),
    2n words of complaint (negative).
    """

    labels: tuple[str, ...]
    matcher: Matcher

    @classmethod
    def build(cls, categories: Sequence[tuple[str, list[str], list[str]]], cues: dict | None = None) -> Lexicon:
        """categories: (key, keywords_en, keywords_zh) triples; cues: read_cues() or None for none.

        A cue file's `strong_en`/`strong_zh` phrases join the taxonomy keywords; praise after a negator
        ("not happy", "不满意") counts as a word of complaint, not as praise.
        """
        table = (cues or {}).get("cues", {})
        feeling = (cues or {}).get("sentiment", {})
        labels = tuple(key for key, _en, _zh in categories)
        extra = [table.get(key, {}) for key in labels]
        strong = [([*(en or []), *c.get("strong_en", [])], [*(zh or []), *c.get("strong_zh", [])], [])
                  for (_key, en, zh), c in zip(categories, extra)]
        weak = [(c.get("en", []), c.get("zh", []), c.get("en_patterns", []) + c.get("zh_patterns", [])) for c in extra]
        negative = [(feeling.get("negative_en", []), feeling.get("negative_zh", []), [])]
        n = len(labels)
        praise = [i for i, key in enumerate(labels) if key == PRAISE]
        negatable = [*praise, *(n + i for i in praise)]  # praise keywords and praise cues
        return cls(labels, Matcher(strong + weak + negative, negatable=negatable, negated=2 * n))

    def hits(self, text: str) -> dict[str, int]:
        """How many taxonomy keywords of each category a normalized text contains."""
        n = len(self.labels)
        return {self.labels[c]: k for c, k in sorted(self.matcher.counts(text).items()) if c < n}

    def features(self, texts: Sequence[str]):
        """Per text: strong hits per category (1 for one, growing slowly with more), log weak-cue count per
        category, log negative count. A text naming a category's keyword twice says more than once."""
        import numpy as np  # here, not at the top: intake and the CLI start without numpy until a model needs it
        from scipy import sparse

        n = len(self.labels)
        rows, columns, values = [], [], []
        for i, text in enumerate(texts):
            for column, count in self.matcher.counts(text).items():
                rows.append(i)
                columns.append(column)
                values.append(float(np.log2(1 + count)) if column < n else float(np.log1p(count)))
        return sparse.csr_matrix((values, (rows, columns)), shape=(len(texts), 2 * n + 1), dtype=np.float32)


def rule_prediction(lexicon: Lexicon, text: str) -> tuple[str, float] | None:
    """The category whose keywords a text names most, with a confidence; None when no keyword hits."""
    found = lexicon.hits(text)
    if not found:
        return None
    order = {label: i for i, label in enumerate(lexicon.labels)}
    best = max(found, key=lambda label: (found[label], -order[label]))
    if len(found) == 1:
        return best, SURE if found[best] > 1 else CLEAR
    return best, round(CLEAR * found[best] / sum(found.values()), 3)


def keyword_documents(categories: Sequence[tuple[str, list[str], list[str]]]) -> list[tuple[str, str]]:
    """Each taxonomy keyword as a tiny labelled text: the model learns the words even if no row has them."""
    return [(normalize(w), key) for key, en, zh in categories for w in (en or []) + (zh or [])]
