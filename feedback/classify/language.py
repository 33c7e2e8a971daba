"""Language detection without a downloaded model: scripts and English function words decide."""

from __future__ import annotations

import re

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
LATIN_WORD = re.compile(r"[A-Za-z]+")
# Common English words: a Latin-script text with none of them is some other language.
ENGLISH = frozenset(
    "the a an and or but is are was were be been it its this that i my me we our you your he she they them "
    "to of in on at for with from by not no do does did have has had can could will would should what why how "
    "when where who very so too just only all any some get got again still after before than then".split()
)


def detect_language(text: str) -> str:
    """'zh', 'en' or 'other' for one text."""
    han = len(HAN.findall(text))
    if KANA_HANGUL.search(text):
        return "other"  # Japanese and Korean share Han characters with Chinese
    words = LATIN_WORD.findall(text)
    letters = sum(len(w) for w in words)
    if han and han * 3 >= letters:  # a Chinese character carries about a word of three letters
        return "zh"
    if not words:
        return "zh" if han else "other"
    if len(words) < 4 or any(w.lower() in ENGLISH for w in words):
        return "en"
    return "other"
