"""Classification: cross-validated quality on the gold dev set, batch speed, training time, memory.

Usage: python bench/classify.py [--texts 20000] [--train-rows 10000]
Prints {"en_accuracy", "en_macro_f1", "zh_accuracy", "zh_macro_f1", "f1_by_label", "texts_per_s",
"train_seconds_10k", "peak_rss_mb", …}.
Quality is 5-fold stratified per language, each fold's model built as `feedback train`
builds it (taxonomy rules and cues included); speed is Classifier.predict on texts drawn from shared/data/text.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import SHARED, emit  # noqa: E402
from feedback import taxonomy  # noqa: E402
from feedback.classify import model  # noqa: E402
from feedback.classify.language import detect_language  # noqa: E402
from feedback.classify.rules import Lexicon, normalize, read_cues  # noqa: E402
from feedback.classify.service import Classifier  # noqa: E402
from feedback.clock import now  # noqa: E402

SEED = 20240601
POOLS = [  # (file, text column): real customer texts in both languages
    ("text/chinese-nlp-corpus/waimai_10k.normalized.csv", "text"),
    ("text/chinese-nlp-corpus/online_shopping_10_cats.sample.csv", "text"),
    ("text/zhijiang-ecommerce-opinion-mining/reviews_labeled.csv", "text"),
    ("text/cesamard-amazon-complaints/reviews_labeled.csv", "text"),
    ("text/complaints-tweets-acl2019/complaints_labeled.csv", "text"),
]


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def examples(rows: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    return [(t, label, detect_language(t)) for t, label in ((normalize(text), label) for text, label in rows)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--train-rows", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(SEED)
    data = taxonomy.read(taxonomy.taxonomy_file(None))
    categories = [(c["key"], c.get("keywords_en", []), c.get("keywords_zh", [])) for c in data["category"]]
    lexicon = Lexicon.build(categories, read_cues())
    dev = [(r["text"], r["label"]) for r in read_csv(SHARED / "data/gold/dev.csv")]

    trained = model.train(examples(dev), lexicon, categories, now=now(), folds=5)
    figures = {f"{lang}_{name}": f[f"cv_{name}"] for lang, f in trained.meta["languages"].items() for name in ("accuracy", "macro_f1")}
    figures["f1_by_label"] = {lang: f["cv_f1"] for lang, f in trained.meta["languages"].items()}

    pool = [r[column] for name, column in POOLS for r in read_csv(SHARED / "data" / name) if r.get(column)]
    texts = [rng.choice(pool) for _ in range(args.texts)]
    with tempfile.TemporaryDirectory() as folder:
        model.save(trained, folder)
        judge = Classifier(categories, lexicon, model.load(folder))  # as a fresh process loads it
        started = time.perf_counter()
        guesses = judge.predict(texts)
        seconds = time.perf_counter() - started

    # 10,000 realistic rows labelled by the dev model: the size and shape `feedback train` would meet.
    sample = [rng.choice(pool) for _ in range(args.train_rows)]
    labelled = [(t, g.category) for t, g in zip(sample, judge.predict(sample))]
    started = time.perf_counter()
    model.train(examples(labelled), lexicon, categories, now=now(), folds=5)
    train_seconds = time.perf_counter() - started

    emit("classify", figures | {
        "texts": len(texts), "texts_per_s": round(len(texts) / seconds),
        "by_model_share": round(sum(g.method == "model" for g in guesses) / len(guesses), 3),
        "train_rows": args.train_rows, "train_seconds_10k": round(train_seconds, 1),
        "dev_train_seconds": trained.meta["seconds"], "model_mb": round(trained_size(trained), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    })


def trained_size(trained: model.Model) -> float:
    with tempfile.TemporaryDirectory() as folder:
        return model.save(trained, folder)["bytes"] / 1e6


if __name__ == "__main__":
    main()
