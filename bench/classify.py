"""Classification: cross-validated quality on the gold dev set, batch speed, training time, memory.

Usage: python bench/classify.py [--texts 20000] [--train-rows 10000] [--cv-seeds N]
Prints {"en_accuracy", "en_macro_f1", "zh_accuracy", "zh_macro_f1", "f1_by_label", "no_seed", "texts_per_s",
"train_seconds_10k", "peak_rss_mb", "judge_train_s", "judge_train_rss_mb", …}.
Quality is 5-fold stratified per language, each fold's model built as `feedback train`
builds it (taxonomy rules, cues and the shipped seed rows included; seed rows join each fold's training side
only, test folds are dev rows only); `no_seed` is the same without the seed rows. Speed is Classifier.predict
on texts drawn from shared/data/text. The judge's path: `feedback train --csv dev.csv` and `feedback classify`
on a fresh instance, as separate processes.
`--cv-seeds N` prints only the cross-validated figures, averaged over N shuffles of the folds (seeds 0..N-1):
one shuffle moves zh accuracy by ±1–2 points, so an idea is judged by the average of several.
"""

from __future__ import annotations

import argparse
import atexit
import csv
import gc
import json
import os
import subprocess
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import FEEDBACK, SHARED, emit, instance_env  # noqa: E402
from feedback import taxonomy  # noqa: E402
from feedback.classify import model  # noqa: E402
from feedback.classify.language import detect_language  # noqa: E402
from feedback.classify.rules import Lexicon, normalize, read_cues  # noqa: E402
from feedback.classify.seeding import seed_examples  # noqa: E402
from feedback.classify.service import TRIAGE_CONFIDENCE, Classifier  # noqa: E402
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
    parser.add_argument("--cv-seeds", type=int, default=0, help="only CV, averaged over this many fold shuffles")
    args = parser.parse_args()
    rng = random.Random(SEED)
    data = taxonomy.read(taxonomy.taxonomy_file(None))
    categories = [(c["key"], c.get("keywords_en", []), c.get("keywords_zh", [])) for c in data["category"]]
    lexicon = Lexicon.build(categories, read_cues())
    dev = [(r["text"], r["label"]) for r in read_csv(SHARED / "data/gold/dev.csv")]
    seed = seed_examples([t for t, _ in dev], [key for key, _en, _zh in categories])
    if args.cv_seeds:
        emit("classify_cv", averaged_cv(examples(dev), lexicon, categories, seed, args.cv_seeds))
        return

    trained = model.train(examples(dev), lexicon, categories, now=now(), folds=5, seed=seed)
    figures = scores(trained) | {"seed_rows": trained.meta["seed_rows"]}
    figures["f1_by_label"] = {lang: f["cv_f1"] for lang, f in trained.meta["languages"].items()}
    figures["no_seed"] = scores(model.train(examples(dev), lexicon, categories, now=now(), folds=5))

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
    figures |= {
        "texts": len(texts), "texts_per_s": round(len(texts) / seconds),
        "by_model_share": round(sum(g.method == "model" for g in guesses) / len(guesses), 3),
        "clears_triage_share": round(sum(g.confidence >= TRIAGE_CONFIDENCE for g in guesses) / len(guesses), 3),
        "dev_train_seconds": trained.meta["seconds"], "model_mb": round(trained_size(trained), 1),
    }
    judged, texts = texts[:5000], None
    del judge, trained, guesses, pool, sample  # what a `feedback train` process would not hold
    gc.collect()
    started = time.perf_counter()
    model.train(examples(labelled), lexicon, categories, now=now(), folds=5, seed=seed)
    figures |= {"train_rows": args.train_rows, "train_seconds_10k": round(time.perf_counter() - started, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}  # this process
    figures |= cli_path(SHARED / "data/gold/dev.csv", "judge", judged)
    figures |= cli_path(write_labelled(labelled), "cli_10k")
    emit("classify", figures)


def averaged_cv(rows, lexicon, categories, seed, shuffles: int) -> dict:
    """Per language: 5-fold CV accuracy and macro-F1 (seed rows on the training side) averaged over shuffles."""
    figures = {"cv_seeds": shuffles}
    for language in model.LANGUAGES:
        texts, labels, seeded, keywords = model.language_rows(language, rows, categories, seed)
        runs = [model.cross_validate(language, lexicon, texts, labels, seeded + keywords, seed=s) for s in range(shuffles)]
        for name in ("accuracy", "macro_f1"):
            values = [run[f"cv_{name}"] for run in runs]
            figures[f"{language}_{name}"] = round(sum(values) / len(values), 4)
            figures[f"{language}_{name}_range"] = [min(values), max(values)]
    return figures


def scores(trained: model.Model) -> dict:
    return {f"{lang}_{name}": f[f"cv_{name}"] for lang, f in trained.meta["languages"].items() for name in ("accuracy", "macro_f1")}


# A small interpreter starts each CLI run and reads its peak RSS: a child forked from this (large) process would
# count this process's memory at the fork as its own.
LAUNCHER = """import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_pid, status, usage = os.wait4(child.pid, 0)
print(json.dumps([os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss / 1024]))
"""


def run_measured(args: list[str], env: dict) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of `feedback ARGS` in a process of its own."""
    out = subprocess.run([sys.executable, "-c", LAUNCHER, FEEDBACK, *args], env=env, capture_output=True, text=True, check=True)
    code, seconds, rss = json.loads(out.stdout)
    if code != 0:
        raise SystemExit(f"feedback {' '.join(args)} failed")
    return seconds, rss


def cli_path(labelled_csv: Path, name: str, texts: list[str] | None = None) -> dict:
    """`feedback train --csv FILE` (then `feedback classify` of `texts`) on a fresh instance: seconds and peak RSS."""
    with tempfile.TemporaryDirectory() as folder:
        env, source = instance_env(Path(folder) / "instance"), Path(folder) / "in.csv"
        train_s, train_mb = run_measured(["train", "--csv", str(labelled_csv)], env)
        figures = {f"{name}_train_s": round(train_s, 1), f"{name}_train_rss_mb": round(train_mb)}
        if texts:
            with open(source, "w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows([["text"], *([t] for t in texts)])
            seconds, mb = run_measured(["classify", "--in", str(source), "--out", str(Path(folder) / "out.csv")], env)
            figures |= {f"{name}_classify_s": round(seconds, 1), f"{name}_classify_rss_mb": round(mb)}
    return figures


def write_labelled(rows: list[tuple[str, str]]) -> Path:
    """The rows as a text,label CSV in a temporary file (removed at exit)."""
    handle = tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", encoding="utf-8", delete=False)
    with handle:
        csv.writer(handle).writerows([["text", "label"], *rows])
    atexit.register(os.unlink, handle.name)
    return Path(handle.name)


def trained_size(trained: model.Model) -> float:
    with tempfile.TemporaryDirectory() as folder:
        return model.save(trained, folder)["bytes"] / 1e6


if __name__ == "__main__":
    main()
