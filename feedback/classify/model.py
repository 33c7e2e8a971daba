"""The learned layer: one calibrated linear model per language over character n-grams, words and rules.

Trained from labelled rows only (nothing downloaded); stored in instance/classifier/ with its
version, training-data size and cross-validated scores. Loaded once per process, again when the
file changes.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import joblib
import numpy as np
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from feedback.classify.metrics import evaluate
from feedback.classify.rules import Lexicon, keyword_documents
from feedback.classify.service import MODEL_META as META
from feedback.classify.service import model_folder as folder

LANGUAGES = ("en", "zh")
MIN_ROWS = 10  # fewer labelled rows than this in a language: that language stays on rules
RULE_WEIGHT = 3.0  # rule features count for more than any single n-gram
KEYWORD_WEIGHT = 0.3  # a keyword on its own is weaker evidence than a labelled customer text
KEEP_VERSIONS = 3
MAX_FEATURES = 100_000  # most frequent n-grams kept: bounds model size and memory on large training sets
PREDICT_CHUNK = 2000  # texts vectorised at once: bounds memory when classifying a large file
LARGE = 3000  # above this many rows per language, 3-fold cross-validation is precise enough and half the time


class RuleFeatures(BaseEstimator, TransformerMixin):
    """The lexicon's matches as model features, so the model learns how far to trust each rule."""

    def __init__(self, lexicon: Lexicon | None = None, weight: float = RULE_WEIGHT):
        self.lexicon = lexicon
        self.weight = weight

    def fit(self, texts, labels=None):
        return self

    def transform(self, texts):
        return self.lexicon.features(list(texts)) * self.weight


def build_pipeline(language: str, lexicon: Lexicon) -> Pipeline:
    """Features for one language and a linear SVM calibrated to probabilities (sigmoid, 3-fold)."""
    if language == "zh":  # characters and their pairs/triples carry Chinese words without a segmenter
        text = [("chars", _tfidf(analyzer="char", ngram_range=(1, 3)))]
    else:
        text = [
            ("chars", _tfidf(analyzer="char_wb", ngram_range=(2, 5))),
            ("words", _tfidf(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", max_features=MAX_FEATURES // 2)),
        ]
    features = FeatureUnion([*text, ("rules", RuleFeatures(lexicon))])
    # ensemble=False: one SVM on all rows, calibrated on 3-fold out-of-fold scores — a third of the memory.
    classifier = CalibratedClassifierCV(LinearSVC(C=1.0, class_weight="balanced", tol=1e-3), method="sigmoid", cv=3, ensemble=False)
    return Pipeline([("features", features), ("classifier", classifier)])


def _tfidf(max_features: int = MAX_FEATURES, **analyzer) -> TfidfVectorizer:
    """Sublinear TF-IDF over the most frequent n-grams (bounded model size whatever the data size)."""
    return TfidfVectorizer(sublinear_tf=True, lowercase=False, max_features=max_features, dtype=np.float32, **analyzer)


def _fit(language: str, lexicon: Lexicon, texts: list[str], labels: list[str], keywords: list[tuple[str, str]]) -> Pipeline:
    """Fit on labelled texts plus the taxonomy keywords as light extra examples."""
    pipeline = build_pipeline(language, lexicon)
    weights = np.array([1.0] * len(texts) + [KEYWORD_WEIGHT] * len(keywords))
    with warnings.catch_warnings():  # rare labels with fewer rows than folds are expected, not news
        warnings.simplefilter("ignore", UserWarning)
        pipeline.fit(texts + [k for k, _ in keywords], labels + [label for _, label in keywords],
                     classifier__sample_weight=weights)
    return pipeline


@dataclass
class Model:
    """A trained model: one pipeline per language, and the figures it was trained with."""

    pipelines: dict
    meta: dict

    def predict(self, texts: Sequence[str], languages: Sequence[str]) -> list[tuple[str, float] | None]:
        """(category, probability) per normalized text; None where no pipeline covers its language."""
        results: list[tuple[str, float] | None] = [None] * len(texts)
        for language, pipeline in self.pipelines.items():
            covered = [i for i, lang in enumerate(languages) if lang == language or (lang == "other" and language == "en")]
            if not covered:
                continue
            classes = pipeline.classes_
            for start in range(0, len(covered), PREDICT_CHUNK):  # n-gram matrices of a few thousand texts at a time
                chunk = covered[start:start + PREDICT_CHUNK]
                probabilities = pipeline.predict_proba([texts[i] for i in chunk])
                for i, column, row in zip(chunk, probabilities.argmax(axis=1), probabilities):
                    results[i] = (str(classes[column]), round(float(row[column]), 4))
        return results


def train(examples: Sequence[tuple[str, str, str]], lexicon: Lexicon, categories: Sequence[tuple[str, list, list]],
          *, now: datetime, folds: int = 5) -> Model:
    """Train on (normalized text, label, language) rows; cross-validate each language first."""
    started = time.perf_counter()
    pipelines, figures = {}, {}
    for language in LANGUAGES:
        rows = [(t, label) for t, label, lang in examples if lang == language or (lang == "other" and language == "en")]
        if len(rows) < MIN_ROWS or len({label for _, label in rows}) < 2:
            continue
        keywords = [(w, key) for w, key in keyword_documents(categories) if _script(w) == language]
        texts, labels = [t for t, _ in rows], [label for _, label in rows]
        figures[language] = {"rows": len(rows), "labels": dict(Counter(labels).most_common())}
        figures[language] |= cross_validate(language, lexicon, texts, labels, keywords, folds=folds)
        pipelines[language] = _fit(language, lexicon, texts, labels, keywords)
    meta = {
        "trained_at": now.isoformat(), "rows": sum(f["rows"] for f in figures.values()), "languages": figures,
        "seconds": round(time.perf_counter() - started, 2), "sklearn": sklearn.__version__,
    }
    return Model(pipelines, meta)


def cross_validate(language: str, lexicon: Lexicon, texts: list[str], labels: list[str],
                   keywords: list[tuple[str, str]], *, folds: int = 5) -> dict:
    """Stratified k-fold accuracy and macro-F1, the model rebuilt in each fold as train() builds it."""
    counts = Counter(labels)
    folds = min(folds if len(texts) <= LARGE else 3, max(counts.values()))
    if folds < 2:
        return {}
    predicted = [""] * len(texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(texts, labels))
    for train_rows, test_rows in splits:
        pipeline = _fit(language, lexicon, [texts[i] for i in train_rows], [labels[i] for i in train_rows], keywords)
        for i, label in zip(test_rows, pipeline.predict([texts[i] for i in test_rows])):
            predicted[i] = str(label)
    scores = evaluate(labels, predicted)
    return {"cv_folds": folds, "cv_accuracy": round(scores.accuracy, 4), "cv_macro_f1": round(scores.macro_f1, 4)}


def _script(word: str) -> str:
    return "zh" if any("\u3400" <= ch <= "\u9fff" for ch in word) else "en"


# --- storage --------------------------------------------------------------------------------------

_cache: dict[str, tuple[float, Model]] = {}


def read_meta(instance_path: str | Path | None) -> dict | None:
    """The current model's figures (version, rows, scores), or None when none is trained."""
    if not instance_path:
        return None
    path = folder(instance_path) / META
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def save(model: Model, instance_path: str | Path) -> dict:
    """Store as the next version and make it current (the metadata file is swapped in atomically)."""
    target = folder(instance_path)
    target.mkdir(parents=True, exist_ok=True)
    previous = read_meta(instance_path) or {}
    model.meta["version"] = int(previous.get("version", 0)) + 1
    model.meta["file"] = f"model-v{model.meta['version']}.joblib"
    joblib.dump(model, target / model.meta["file"], compress=3)
    model.meta["bytes"] = (target / model.meta["file"]).stat().st_size
    temporary = target / (META + ".tmp")
    temporary.write_text(json.dumps(model.meta, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, target / META)
    for old in sorted(target.glob("model-v*.joblib"), key=lambda p: p.stat().st_mtime)[:-KEEP_VERSIONS]:
        old.unlink(missing_ok=True)
    return model.meta


def load(instance_path: str | Path | None) -> Model | None:
    """The current model, loaded once per process and again only when a new version is saved."""
    if not instance_path:
        return None
    meta_path = folder(instance_path) / META
    try:
        stamp = meta_path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
    key = str(meta_path)
    if key in _cache and _cache[key][0] == stamp:
        return _cache[key][1]
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    model = joblib.load(folder(instance_path) / meta["file"])  # our own instance folder: trusted like the database
    model.meta = meta
    _cache[key] = (stamp, model)
    return model
