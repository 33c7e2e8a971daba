"""A model trained once per test process on the gold dev set, copied into each test's instance."""

from __future__ import annotations

import csv
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from feedback import taxonomy
from feedback.classify import model
from feedback.classify.language import detect_language
from feedback.classify.rules import Lexicon, normalize, read_cues
from tests.conftest import SHARED
from tests.factories import NOW

DEV = SHARED / "data" / "gold" / "dev.csv"


def dev_rows() -> list[dict]:
    with open(DEV, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def shipped_categories() -> list[tuple[str, list, list]]:
    data = taxonomy.read(taxonomy.taxonomy_file(None))
    return [(c["key"], c.get("keywords_en", []), c.get("keywords_zh", [])) for c in data["category"]]


@lru_cache(maxsize=1)
def trained_instance() -> Path:
    """An instance folder holding a model trained on dev.csv (2-fold CV to keep the suite fast)."""
    folder = Path(tempfile.mkdtemp(prefix="feedback-model-"))
    categories = shipped_categories()
    examples = [(normalize(r["text"]), r["label"], detect_language(normalize(r["text"]))) for r in dev_rows()]
    trained = model.train(examples, Lexicon.build(categories, read_cues()), categories, now=NOW, folds=2)
    model.save(trained, folder)
    return folder


def install_model(instance_path: str | Path) -> None:
    """Give an app's instance the cached trained model."""
    shutil.copytree(model.folder(trained_instance()), model.folder(instance_path), dirs_exist_ok=True)
