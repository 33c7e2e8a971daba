"""Bilingual classification: language, rules, a learned model, triage. See service.py for the precedence."""

from __future__ import annotations

from feedback.classify.language import detect_language
from feedback.classify.metrics import Evaluation, evaluate
from feedback.classify.service import (
    TRIAGE_CONFIDENCE,
    Classifier,
    Prediction,
    RowLabeller,
    classifier,
    classify_rows,
    model_figures,
    read_labelled_csv,
    reclassify,
    retrain_if_corrected,
    train,
)
from feedback.classify.triage import queue, queue_size, set_category

__all__ = [
    "TRIAGE_CONFIDENCE", "Classifier", "Evaluation", "Prediction", "RowLabeller", "app_settings", "classifier", "classify_rows",
    "detect_language", "evaluate", "model_figures", "queue", "queue_size", "read_labelled_csv", "reclassify",
    "retrain_if_corrected", "set_category", "train",
]


def app_settings() -> dict:
    """The instance folder and triage threshold of the current app, if there is one (intake's edge)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return {}
    return {
        "instance_path": current_app.instance_path,
        "threshold": current_app.config.get("TRIAGE_CONFIDENCE", TRIAGE_CONFIDENCE),
    }
