"""Shipped labelled seed rows: permissively licensed or our own texts, labelled by data/gold/GUIDELINES.md.

They join every training (and every cross-validation fold's training side, never a test fold), so a fresh
instance's model has seen a few thousand labelled texts of the kinds customers write. Provenance and
licences: seed/ATTRIBUTION.md.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from importlib import resources

from feedback.classify.rules import normalize

SEED_PACKAGE = "feedback.classify"
SEED_FOLDER = "seed"
SPACE = re.compile(r"\s+")
MIN_CONTAINED = 20  # shorter labelled texts ("good", "不错") are compared whole only: as substrings they match everything


def seed_rows() -> list[tuple[str, str, str]]:
    """(text, label, file name) of every shipped seed CSV (columns text,label), in file order."""
    folder = resources.files(SEED_PACKAGE) / SEED_FOLDER
    rows = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".csv"):
            reader = csv.DictReader(io.StringIO(entry.read_text(encoding="utf-8")))
            rows += [(r["text"], r["label"].strip(), entry.name) for r in reader if r.get("text") and r.get("label")]
    return rows


def key(text: str) -> str:
    """What two texts are compared by: normalized, whitespace collapsed."""
    return SPACE.sub(" ", normalize(text)).strip()


def without_overlap(seed: Sequence[tuple[str, str]], labelled: Iterable[str]) -> list[tuple[str, str]]:
    """The seed rows whose text is neither equal to, nor contains, nor is contained in a labelled text.

    A labelled text (a gold CSV, people's choices) must stay the only copy of itself: cross-validation would
    otherwise test on a text it trained on, and a seed label could contradict a person's.
    """
    keys = {key(t) for t in labelled}
    keys.discard("")
    seeds = [(key(t), (t, label)) for t, label in seed]
    joined_labelled = "\x00".join(keys)
    joined_seed = "\x00".join(k for k, _ in seeds)
    inside_seed = [k for k in keys if len(k) >= MIN_CONTAINED and k in joined_seed]
    kept = []
    for k, row in seeds:
        if not k or k in keys or (len(k) >= MIN_CONTAINED and k in joined_labelled):
            continue
        if any(inner in k for inner in inside_seed):  # few labelled texts sit inside any seed text: a short loop
            continue
        kept.append(row)
    return kept


def seed_examples(labelled: Iterable[str], known: Iterable[str]) -> list[tuple[str, str, str]]:
    """(normalized text, label, language) of the shipped seed rows of known categories, none overlapping `labelled`."""
    from feedback.classify.language import detect_language

    categories = set(known)
    rows = without_overlap([(t, label) for t, label, _file in seed_rows() if label in categories], labelled)
    return [(text, label, detect_language(text)) for text, label in ((normalize(t), label) for t, label in rows)]
