"""How well predictions match labels: accuracy, macro-F1, per-label precision/recall, confusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass
class Evaluation:
    accuracy: float
    macro_f1: float
    labels: list[str]
    per_label: list[tuple[str, float, float, float, int]]  # label, precision, recall, F1, support
    confusion: list[list[int]]  # rows: true label, columns: predicted, in `labels` order


def evaluate(truth: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    """Scores over the labels that occur in the truth (macro-F1 averages those, as sklearn does)."""
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    truth, predicted = list(truth), list(predicted)
    labels = sorted(set(truth) | set(predicted))
    scored = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=scored, zero_division=0
    )
    per_label = [
        (label, float(p), float(r), float(f), int(s)) for label, p, r, f, s in zip(scored, precision, recall, f1, support)
    ]
    return Evaluation(
        accuracy=float(accuracy_score(truth, predicted)) if truth else 0.0,
        macro_f1=float(sum(f for *_, f, _ in per_label) / len(per_label)) if per_label else 0.0,
        labels=labels,
        per_label=per_label,
        confusion=confusion_matrix(truth, predicted, labels=labels).tolist() if truth else [],
    )
