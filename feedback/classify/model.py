"""The learned layer: one calibrated linear model per language over character n-grams, words and rules.

Trained from labelled rows only (nothing downloaded); stored in instance/classifier/ with its
version, training-data size and cross-validated scores. Loaded once per process, again when the
file changes.
"""

from __future__ import annotations

import gzip
import json
import os
import pickle
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
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from feedback.classify.metrics import evaluate
from feedback.classify.rules import Lexicon, keyword_documents
from feedback.classify.service import MODEL_META as META
from feedback.classify.service import model_folder as folder

LANGUAGES = ("en", "zh")
MIN_ROWS = 10  # fewer labelled rows than this in a language: that language stays on rules
RULE_WEIGHT = 1.0  # rule features on the n-grams' scale: at 3 the SVM trusted a loose cue over the text (CV en -0.03)
KEYWORD_WEIGHT = 1.0  # a taxonomy keyword weighs as a labelled row: 5-fold CV over 8 seeds, 0.3 → 1.0: en accuracy
# 0.687 → 0.690, macro-F1 0.653 → 0.661; zh 0.786 → 0.788, 0.746 → 0.748 (over 16 seeds higher at 10, lower at 2);
# 1.5 and 2 score the same as 1.0
SEED_WEIGHT = 1.0  # a shipped seed row: labelled by the same guidelines as the gold rows
KEEP_VERSIONS = 3
HASH_BITS = 16  # 65,536 hashed n-gram columns per analyzer (words: half): bounded model size whatever the data size;
# the gold set has ~23k character n-grams per language, so few share a column
PREDICT_CHUNK = 1000  # texts vectorised at once: bounds memory when classifying a large file
GZIP_MAGIC = b"\x1f\x8b"
SVM_C = 0.5  # a little more regularisation than the default 1.0: 5-fold CV over 5 seeds, zh macro-F1 0.704 → 0.726,
# accuracy 0.774 → 0.779, en unchanged (0.646 → 0.647); 0.3 scores the same as 0.5
BALANCE = 1.0  # class balance as sample weights (every binary SVM), not liblinear's class_weight (positives only):
# 5-fold CV over 6 seeds, zh accuracy 0.778 → 0.788, macro-F1 0.732 → 0.748 (higher at each seed), en within noise
EN_CHARS = (2, 4)  # English character n-grams: 5-grams added a quarter of the nonzeros (memory) and no accuracy
# (5-fold CV over 3 seeds with the seed rows: en 0.687 with 2–5, 0.693 with 2–4, 0.679 with 3–5)
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


def build_pipeline(language: str, lexicon: Lexicon, *, calibrated: bool = True) -> Pipeline:
    """Features for one language and a class-balanced linear SVM, calibrated to probabilities unless told not to.

    Cross-validation folds only need the SVM's decisions, so they skip the calibration's three extra fits.
    """
    if language == "zh":  # characters and their pairs/triples carry Chinese words without a segmenter
        text = [("chars", _tfidf(analyzer="char", ngram_range=(1, 3)))]
    else:
        text = [
            ("chars", _tfidf(analyzer="char_wb", ngram_range=EN_CHARS)),
            ("words", _tfidf(ngram_range=(1, 2), token_pattern=r"(?u)\b\w+\b", bits=HASH_BITS - 1)),
        ]
    features = FeatureUnion([*text, ("rules", RuleFeatures(lexicon))])
    classifier = BalancedSVC(C=SVM_C, tol=1e-3)
    if calibrated:  # ensemble=False: one SVM on all rows, sigmoids from 3-fold out-of-fold scores: 1/3 the memory
        classifier = CalibratedClassifierCV(classifier, method="sigmoid", cv=3, ensemble=False)
    return Pipeline([("features", features), ("classifier", classifier)])


def decide(pipeline: Pipeline, texts: Sequence[str]) -> list[tuple[str, float]]:
    """(category, probability) per text: the balanced SVM's best-scoring category, and the calibrated
    probability of that category as its confidence.

    The calibrated argmax would lean towards the frequent categories (the sigmoids learn the class
    priors back); the SVM's own decision keeps the balance it was trained with.
    """
    features, calibrated = pipeline.named_steps["features"], pipeline.named_steps["classifier"]
    matrix = features.transform(texts)
    svm = calibrated.calibrated_classifiers_[0].estimator
    scores = svm.decision_function(matrix)
    columns = scores.argmax(axis=1) if scores.ndim == 2 else (scores > 0).astype(int)  # two categories: one score
    probabilities = calibrated.predict_proba(matrix)
    return [(str(svm.classes_[c]), round(float(row[c]), 4)) for c, row in zip(columns, probabilities)]


def _tfidf(bits: int = HASH_BITS, **analyzer) -> Pipeline:
    """Sublinear TF-IDF over hashed n-grams.

    Hashing keeps no vocabulary: a dictionary of every n-gram of the training texts, built as millions of
    short-lived strings, held ~40 MB of heap that Python could not give back after training on 10k rows.
    """
    counts = HashingVectorizer(n_features=2**bits, alternate_sign=False, norm=None, lowercase=False, **analyzer)
    return Pipeline([("counts", counts), ("tfidf", SeenIdf(sublinear_tf=True))])


class SeenIdf(TfidfTransformer):
    """TF-IDF whose n-grams unseen in training weigh nothing (as with a vocabulary), instead of getting the
    highest idf of all and drowning the text's known n-grams when each text's vector is normalised."""

    def fit(self, counts, labels=None):
        super().fit(counts, labels)
        seen = np.bincount(counts.tocsr().indices, minlength=counts.shape[1]) > 0
        self.idf_ = np.where(seen, self.idf_, 0.0)
        return self


class BalancedSVC(LinearSVC):
    """A linear SVM whose rows weigh (rows / (categories × rows of their category)) ** BALANCE more.

    As sample weights, the balance reaches every one-vs-rest SVM (liblinear's class_weight only raises each
    category's own rows); inside the SVM, not given to the calibration, whose sigmoids then learn the real
    frequencies and so the real confidence.
    """

    def fit(self, X, y, sample_weight=None):
        counts = Counter(y)
        balance = np.array([(len(y) / (len(counts) * counts[label])) ** BALANCE for label in y])
        return super().fit(X, y, sample_weight=balance if sample_weight is None else balance * sample_weight)


def _fit(language: str, lexicon: Lexicon, texts: list[str], labels: list[str], extra: list[tuple[str, str, float]],
         *, calibrated: bool = True) -> Pipeline:
    """Fit on labelled texts plus `extra` (text, label, weight) rows: shipped seed rows and the taxonomy keywords."""
    pipeline = build_pipeline(language, lexicon, calibrated=calibrated)
    weights = np.array([1.0] * len(texts) + [w for _, _, w in extra])
    with warnings.catch_warnings():  # rare labels with fewer rows than folds are expected, not news
        warnings.simplefilter("ignore", UserWarning)
        pipeline.fit(texts + [t for t, _, _ in extra], labels + [label for _, label, _ in extra],
                     classifier__sample_weight=weights)
    if calibrated:  # float32 weights: half the memory of the kept model, scores equal to 1e-6
        svm = pipeline.named_steps["classifier"].calibrated_classifiers_[0].estimator
        svm.coef_ = svm.coef_.astype(np.float32)
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
            covered = [i for i, lang in enumerate(languages) if _covers(language, lang)]
            if not covered:
                continue
            for start in range(0, len(covered), PREDICT_CHUNK):  # n-gram matrices of a few thousand texts at a time
                chunk = covered[start:start + PREDICT_CHUNK]
                for i, guess in zip(chunk, decide(pipeline, [texts[i] for i in chunk])):
                    results[i] = guess
        return results


def train(examples: Sequence[tuple[str, str, str]], lexicon: Lexicon, categories: Sequence[tuple[str, list, list]],
          *, now: datetime, folds: int = 5, seed: Sequence[tuple[str, str, str]] = ()) -> Model:
    """Train on (normalized text, label, language) rows; cross-validate each language first.

    `seed` rows (same shape: the shipped seed set) join every fit's training side, never a test fold, so the
    cross-validated figures are those of the labelled rows alone.
    """
    started = time.perf_counter()
    pipelines, figures = {}, {}
    for language in LANGUAGES:
        texts, labels, seeded, keywords = language_rows(language, examples, categories, seed)
        if len(texts) + len(seeded) < MIN_ROWS or len(set(labels) | {s[1] for s in seeded}) < 2:
            continue
        figures[language] = {"rows": len(texts), "seed_rows": len(seeded), "labels": dict(Counter(labels).most_common())}
        figures[language] |= cross_validate(language, lexicon, texts, labels, seeded + keywords, folds=folds)
        pipelines[language] = _fit(language, lexicon, texts, labels, seeded + keywords)
    meta = {
        "trained_at": now.isoformat(), "rows": sum(f["rows"] for f in figures.values()),
        "seed_rows": sum(f["seed_rows"] for f in figures.values()), "languages": figures,
        "seconds": round(time.perf_counter() - started, 2), "sklearn": sklearn.__version__,
    }
    return Model(pipelines, meta)


def language_rows(language: str, examples, categories, seed=()) -> tuple[list[str], list[str], list, list]:
    """A language's labelled texts and labels, then the (text, label, weight) rows every fit adds: seed, keywords."""
    rows = [(t, label) for t, label, lang in examples if _covers(language, lang)]
    seeded = [(t, label, SEED_WEIGHT) for t, label, lang in seed if _covers(language, lang)]
    keywords = [(w, key, KEYWORD_WEIGHT) for w, key in keyword_documents(categories) if _script(w) == language]
    return [t for t, _ in rows], [label for _, label in rows], seeded, keywords


def _covers(language: str, detected: str) -> bool:
    """Whether a language's model is the one for a text detected as `detected` (English covers "other")."""
    return detected == language or (detected == "other" and language == "en")


def cross_validate(language: str, lexicon: Lexicon, texts: list[str], labels: list[str],
                   extra: list[tuple[str, str, float]], *, folds: int = 5, seed: int = 0) -> dict:
    """Stratified k-fold accuracy, macro-F1 and F1 per label over the labelled rows, each fold's SVM built as
    train() builds it, `extra` rows on every fold's training side."""
    counts = Counter(labels)
    folds = min(folds if len(texts) <= LARGE else 3, max(counts.values(), default=0))
    if folds < 2:
        return {}
    predicted = [""] * len(texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        splits = list(splitter.split(texts, labels))
    for train_rows, test_rows in splits:
        guesses = _fold_predictions(language, lexicon, texts, labels, extra, train_rows, test_rows)
        for i, label in zip(test_rows, guesses):
            predicted[i] = label
    scores = evaluate(labels, predicted)
    return {"cv_folds": folds, "cv_accuracy": round(scores.accuracy, 4), "cv_macro_f1": round(scores.macro_f1, 4),
            "cv_f1": {label: round(f1, 3) for label, _p, _r, f1, _n in scores.per_label}}


def _fold_predictions(language, lexicon, texts, labels, extra, train_rows, test_rows) -> list[str]:
    """One fold's predictions; its pipeline is freed on return, before the next fold is fitted."""
    pipeline = _fit(language, lexicon, [texts[i] for i in train_rows], [labels[i] for i in train_rows], extra,
                    calibrated=False)
    return [str(label) for label in pipeline.predict([texts[i] for i in test_rows])]


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
    # A gzip stream of the pickle: joblib.dump(compress=3) held ~40 MB of buffers at once for a 1.5 MB file.
    with gzip.open(target / model.meta["file"], "wb", compresslevel=6) as handle:
        pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)
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
    model = _read_model(folder(instance_path) / meta["file"])
    model.meta = meta
    _cache[key] = (stamp, model)
    return model


def _read_model(path: Path) -> Model:
    """A stored model: a gzip'd pickle, or a joblib file of the versions before (our own instance folder:
    trusted like the database)."""
    with open(path, "rb") as handle:
        if handle.read(2) != GZIP_MAGIC:
            return joblib.load(path)
    with gzip.open(path, "rb") as handle:
        return pickle.load(handle)
