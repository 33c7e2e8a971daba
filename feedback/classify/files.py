"""CSV in, CSV out: classifying a file of texts and scoring a labelled one, streamed in chunks."""

from __future__ import annotations

import csv
from itertools import islice
from pathlib import Path

from feedback.classify.metrics import Evaluation, evaluate
from feedback.classify.service import Classifier
from feedback.errors import Invalid

CHUNK = 5000
OUTPUT = ("category", "confidence", "method")


def classify_csv(judge: Classifier, source: str | Path, target: str | Path) -> int:
    """Copy `source` to `target` adding category, confidence and method to each row; returns the row count."""
    with open(source, newline="", encoding="utf-8-sig") as inp, open(target, "w", newline="", encoding="utf-8") as out:
        reader = csv.DictReader(inp)
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise Invalid(f"{source}: needs a text column")
        columns = [c for c in reader.fieldnames if c not in OUTPUT] + list(OUTPUT)
        writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        count = 0
        while chunk := list(islice(reader, CHUNK)):
            for row, guess in zip(chunk, judge.predict([r["text"] or "" for r in chunk])):
                writer.writerow(row | {"category": guess.category, "confidence": f"{guess.confidence:.4f}", "method": guess.method})
            count += len(chunk)
    return count


def evaluate_csv(judge: Classifier, source: str | Path) -> Evaluation:
    """Classify a CSV with text and label columns and compare with its labels."""
    from feedback.classify.service import read_labelled_csv

    rows = read_labelled_csv(source)
    guesses = judge.predict([text for text, _ in rows])
    return evaluate([label for _, label in rows], [g.category for g in guesses])


def report(scores: Evaluation) -> str:
    """The evaluation as plain text: headline figures, per-label table, confusion matrix."""
    lines = [f"accuracy {scores.accuracy:.3f}   macro-F1 {scores.macro_f1:.3f}", "",
             f"{'label':34} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>5}"]
    lines += [f"{label:34} {p:9.3f} {r:7.3f} {f:6.3f} {n:5d}" for label, p, r, f, n in scores.per_label]
    lines += ["", "confusion (rows: true, columns: predicted)"]
    width = max(3, *(len(str(v)) for row in scores.confusion for v in row))
    lines.append(" " * 35 + " ".join(f"{i:>{width}}" for i in range(len(scores.labels))))
    for i, (label, row) in enumerate(zip(scores.labels, scores.confusion)):
        lines.append(f"{i:>2} {label:32}" + " ".join(f"{v:>{width}}" for v in row))
    return "\n".join(lines)
