"""Classifying feedback: on the way in, from CSV files, again after a retrain; and training the model.

Precedence: a person's choice is final and never re-run; otherwise the trained model of the text's
language decides, weighing the rule matches as its strongest features; a language without a model
falls back to the rules alone; no rule hit means `other`. Whatever the method, a confidence below
the triage threshold routes the item to `other`, for a person to decide.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session

from feedback import clock, taxonomy, tickets
from feedback.classify.language import detect_language
from feedback.classify.rules import OTHER, Lexicon, normalize, read_cues, rule_prediction
from feedback.errors import Invalid
from feedback.models import Category, ClassifiedBy, Feedback, FeedbackEvent

TRIAGE_CONFIDENCE = 0.5
REPLAY_BATCH = 1000


@dataclass(frozen=True)
class Prediction:
    category: str  # the best category, before triage routing
    confidence: float
    method: str  # model | rule
    language: str


@dataclass
class Classifier:
    """What classifying needs: the categories' rules and the trained model, if any."""

    categories: list[tuple[str, list[str], list[str]]]
    lexicon: Lexicon
    model: object | None = None

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One prediction per text, in batch (the model vectorises all texts of a language at once)."""
        normalized = [normalize(t) for t in texts]
        languages = [detect_language(t) for t in normalized]
        learned = self.model.predict(normalized, languages) if self.model else [None] * len(texts)
        out = []
        for text, language, guess in zip(normalized, languages, learned):
            if guess is not None:
                out.append(Prediction(guess[0], guess[1], ClassifiedBy.model, language))
                continue
            rule = rule_prediction(self.lexicon, text)
            category, confidence = rule if rule else (OTHER, 0.0)
            out.append(Prediction(category, confidence, ClassifiedBy.rule, language))
        return out


def category_rules(session: Session | None, instance_path: str | Path | None = None) -> list[tuple[str, list, list]]:
    """(key, keywords_en, keywords_zh) of active categories: from the database, else the taxonomy file."""
    if session is not None and sa.inspect(session.get_bind()).has_table("category"):
        rows = session.execute(
            sa.select(Category.key, Category.keywords_en, Category.keywords_zh).where(Category.active).order_by(Category.id)
        ).all()
        if rows:
            return [(key, en or [], zh or []) for key, en, zh in rows]
    data = taxonomy.read(taxonomy.taxonomy_file(instance_path))
    return [(c["key"], c.get("keywords_en", []), c.get("keywords_zh", [])) for c in data.get("category", [])]


MODEL_META = "model.json"


def model_folder(instance_path: str | Path) -> Path:
    """Where an instance keeps its trained models and their figures."""
    return Path(instance_path) / "classifier"


def classifier(session: Session | None, instance_path: str | Path | None = None) -> Classifier:
    """The rules of today's categories and the instance's current model (both cached per process)."""
    categories = category_rules(session, instance_path)
    frozen = tuple((key, tuple(en), tuple(zh)) for key, en, zh in categories)
    return Classifier(categories, _lexicon(frozen, instance_path, _cues_stamp(instance_path)), _trained_model(instance_path))


@lru_cache(maxsize=8)
def _lexicon(categories: tuple, instance_path: str | Path | None, _cues_stamp: int) -> Lexicon:
    """Compiled once per set of categories and cue file, not once per intake batch."""
    return Lexicon.build([(key, list(en), list(zh)) for key, en, zh in categories], read_cues(instance_path))


def _cues_stamp(instance_path: str | Path | None) -> int:
    """The instance cue file's mtime (0 without one): an edited file rebuilds the lexicon."""
    try:
        return (Path(instance_path) / "cues.toml").stat().st_mtime_ns if instance_path else 0
    except FileNotFoundError:
        return 0


def _trained_model(instance_path: str | Path | None):
    """The instance's model, or None; scikit-learn (1.5 s to import) is loaded only when a model exists."""
    if not instance_path or not (model_folder(instance_path) / MODEL_META).exists():
        return None
    from feedback.classify import model

    return model.load(instance_path)


def row_text(row: dict) -> str:
    """What classification reads: the cleaned text, else subject and body."""
    return row.get("text") or "\n".join(p for p in (row.get("subject"), row.get("body")) if p)


def classify_rows(session: Session, rows: list[dict], *, instance_path: str | Path | None = None,
                  threshold: float = TRIAGE_CONFIDENCE) -> None:
    """Set language, category_id, confidence and classified_by on intake rows in place, in one batch."""
    if rows:
        labeller = RowLabeller.of(session, instance_path=instance_path, threshold=threshold)
        labeller.apply(rows, labeller.labels(*labeller.inputs(rows)))


@dataclass
class RowLabeller:
    """Classifies intake rows with the categories and model of the moment, without the database.

    Reading (`of`) and writing (`apply`) stay with the caller; `labels` is plain computation on
    texts, so a bulk import can run it in a worker process while the previous batch is written.
    """

    ids: dict[str, int]  # category key → id; empty before the taxonomy is loaded
    judge: Classifier | None
    threshold: float

    @classmethod
    def of(cls, session: Session, *, instance_path: str | Path | None = None, threshold: float = TRIAGE_CONFIDENCE) -> RowLabeller:
        ids = dict(session.execute(sa.select(Category.key, Category.id)).all())
        return cls(ids, classifier(session, instance_path) if ids else None, threshold)

    @staticmethod
    def inputs(rows: list[dict]) -> tuple[list[str], list[bool]]:
        """What `labels` reads: each row's text, and whether it is a problem to classify (not an auto-reply etc.)."""
        return [row_text(r) for r in rows], [not r.get("not_a_problem") for r in rows]

    def labels(self, texts: list[str], problems: list[bool]) -> list[tuple]:
        """Per text: (language,) for items that get no category, else (language, category_id, confidence, method)."""
        asked = [i for i, problem in enumerate(problems) if problem] if self.judge else []
        out: list[tuple] = [()] * len(texts)
        for i, guess in zip(asked, self.judge.predict([texts[i] for i in asked]) if asked else []):
            category = guess.category if guess.confidence >= self.threshold else OTHER
            out[i] = (guess.language, self.ids.get(category, self.ids.get(OTHER)), guess.confidence, guess.method)
        return [label or (detect_language(normalize(text)),) for label, text in zip(out, texts)]

    @staticmethod
    def apply(rows: list[dict], labels: list[tuple]) -> None:
        for row, label in zip(rows, labels):
            if len(label) == 1:
                row["language"] = label[0]
            else:
                row |= {"language": label[0], "category_id": label[1], "confidence": label[2], "classified_by": label[3]}


def reclassify(session: Session, *, since: date, instance_path: str | Path | None = None,
               threshold: float = TRIAGE_CONFIDENCE, now: datetime | None = None) -> int:
    """Classify again every item of business day `since` or later that no person has set; returns the count.

    Tickets follow a changed category exactly as after a person's triage choice, batch by batch.
    """
    ids = dict(session.execute(sa.select(Category.key, Category.id)).all())
    if not ids:
        raise Invalid("no categories: load the taxonomy first (`feedback taxonomy load`)")
    judge = classifier(session, instance_path)
    now = now or clock.now()
    stmt = (
        sa.select(Feedback.id, Feedback.text, Feedback.subject, Feedback.body, Feedback.category_id)
        .where(Feedback.business_date >= since, Feedback.not_a_problem == "")
        .where(sa.or_(Feedback.classified_by.is_(None), Feedback.classified_by != ClassifiedBy.person))
        .order_by(Feedback.id)
    )
    done, last = 0, 0
    while batch := session.execute(stmt.where(Feedback.id > last).limit(REPLAY_BATCH)).all():
        guesses = judge.predict([row_text(r._asdict()) for r in batch])
        changes = [
            {"id": r.id, "category_id": ids.get(g.category if g.confidence >= threshold else OTHER, ids.get(OTHER)),
             "confidence": g.confidence, "classified_by": g.method, "language": g.language}
            for r, g in zip(batch, guesses)
        ]
        session.execute(sa.update(Feedback), changes)
        moved = [c["id"] for r, c in zip(batch, changes) if c["category_id"] != r.category_id]
        if moved:
            tickets.reroute_for_feedback(session, moved, by=None, now=now)
        session.commit()
        done, last = done + len(batch), batch[-1].id
    return done


# --- training ---------------------------------------------------------------------------------------


def person_labelled(session: Session) -> list[tuple[str, str]]:
    """(text, category key) of every item whose category a person chose."""
    if not sa.inspect(session.get_bind()).has_table("feedback"):
        return []
    rows = session.execute(
        sa.select(Feedback.text, Feedback.subject, Feedback.body, Category.key)
        .join(Category, Category.id == Feedback.category_id)
        .where(Feedback.classified_by == ClassifiedBy.person)
    ).all()
    return [(row_text(r._asdict()), r.key) for r in rows]


def train(session: Session, *, instance_path: str | Path, extra: Iterable[tuple[str, str]] = (), now: datetime) -> dict:
    """Train from person-labelled feedback plus `extra` (text, label) rows and the shipped seed rows; store it;
    return its figures (cross-validated on the labelled rows only)."""
    from feedback.classify import model
    from feedback.classify.seeding import seed_examples

    categories = category_rules(session, instance_path)
    known = {key for key, _en, _zh in categories}
    examples, unknown, labelled = [], 0, [*person_labelled(session), *extra]
    for text, label in labelled:
        if label not in known:
            unknown += 1
            continue
        normalized = normalize(text)
        if normalized.strip():
            examples.append((normalized, label, detect_language(normalized)))
    if len(examples) < model.MIN_ROWS:
        raise Invalid(f"only {len(examples)} labelled texts: at least {model.MIN_ROWS} are needed to train")
    seed = seed_examples([text for text, _ in labelled], known)  # never a copy of a labelled text: CV stays honest
    trained = model.train(examples, Lexicon.build(categories, read_cues(instance_path)), categories, now=now, seed=seed)
    if not trained.pipelines:
        raise Invalid(f"no language has {model.MIN_ROWS} labelled texts of two categories or more: nothing to train")
    trained.meta["skipped_unknown_labels"] = unknown
    trained.meta["person_labelled"] = len(person_labelled(session))
    return model.save(trained, instance_path)


def model_figures(instance_path: str | Path | None) -> dict | None:
    """The current model's version, training size and cross-validated scores (None: rules only)."""
    from feedback.classify.model import read_meta

    return read_meta(instance_path)


def corrections_since(session: Session, moment: datetime | None) -> int:
    """How many category choices people made after `moment` (all of them when None)."""
    stmt = sa.select(sa.func.count()).select_from(FeedbackEvent).where(FeedbackEvent.field == "category")
    if moment is not None:
        stmt = stmt.where(FeedbackEvent.at > moment)
    return session.execute(stmt).scalar_one()


def retrain_if_corrected(session: Session, *, instance_path: str | Path, now: datetime) -> dict | None:
    """The nightly job: train again when people corrected categories since the current model; else None."""
    figures = model_figures(instance_path)
    trained_at = datetime.fromisoformat(figures["trained_at"]) if figures else None
    if not corrections_since(session, trained_at):
        return None
    return train(session, instance_path=instance_path, now=now)


def read_labelled_csv(path: str | Path) -> list[tuple[str, str]]:
    """(text, label) rows of a CSV with `text` and `label` columns."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"text", "label"} <= set(reader.fieldnames):
            raise Invalid(f"{path}: needs the columns text and label")
        return [(row["text"] or "", (row["label"] or "").strip()) for row in reader]
