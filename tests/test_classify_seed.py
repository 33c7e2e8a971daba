"""The shipped seed rows: they ship with their attribution, never copy a labelled text, and training uses them."""

from __future__ import annotations

from importlib import resources

from feedback import classify
from feedback.classify import model
from feedback.classify.rules import Lexicon
from feedback.classify.seeding import key, seed_examples, seed_rows, without_overlap
from tests.classify_model import dev_rows, shipped_categories
from tests.factories import NOW


def test_the_seed_ships_with_its_attribution_and_only_taxonomy_labels():
    rows = seed_rows()
    known = {key for key, _en, _zh in shipped_categories()}
    assert len(rows) >= 1000 and {label for _, label, _ in rows} <= known
    assert {"praise", "product.quality", "logistics.wrong_missing_damaged"} <= {label for _, label, _ in rows}
    note = (resources.files("feedback.classify") / "seed" / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "MIT License" in note and "Apoorva Singh" in note and "en_cesamard.csv" in note


def test_a_seed_row_equal_to_containing_or_inside_a_labelled_text_is_dropped():
    seed = [("The parcel arrived  broken.", "logistics.wrong_missing_damaged"),  # equal, but for case and spaces
            ("Great phone. The battery died after two days of normal use", "product.quality"),  # contains one
            ("awful", "product.quality"),  # inside one, but too short to say so
            ("Screen cracked within a week", "product.quality"),  # inside one
            ("Lovely colour and it fits well", "praise")]
    labelled = ["the parcel arrived broken.", "The battery died after two days of normal use", "An awful shop",
                "Honestly: screen cracked within a week, and no reply"]
    assert without_overlap(seed, labelled) == [("awful", "product.quality"), ("Lovely colour and it fits well", "praise")]


def test_no_shipped_seed_text_overlaps_the_gold_dev_set():
    dev = [r["text"] for r in dev_rows()]
    kept = seed_examples(dev, {key for key, _en, _zh in shipped_categories()})
    assert len(kept) == len(seed_rows())  # the file was built without them: nothing left to drop
    dev_keys = {key(t) for t in dev}
    assert not any(key(text) in dev_keys for text, _label, _language in kept)
    assert "zh" not in {language for _t, _l, language in kept}  # English reviews ("other": too few English words)


def test_seed_rows_train_every_fit_but_are_never_cross_validated():
    categories = [("logistics.late", ["slow"], []), ("logistics.failed", ["never arrived"], []), ("praise", [], [])]
    rows = [("so slow delivery", "logistics.late"), ("it was late again", "logistics.late"),
            ("my parcel never arrived", "logistics.failed"), ("lost parcel, nothing came", "logistics.failed")] * 4
    seed = [("lovely purchase, wonderful quality", "praise"), ("wonderful, lovely, thank you", "praise")] * 3
    trained = model.train([(t, label, "en") for t, label in rows], Lexicon.build(categories), categories, now=NOW,
                          folds=2, seed=[(t, label, "en") for t, label in seed])
    figures = trained.meta["languages"]["en"]
    assert (figures["rows"], figures["seed_rows"], trained.meta["seed_rows"]) == (16, 6, 6)
    assert "praise" not in figures["labels"] and "praise" not in figures["cv_f1"]  # never a test row, never guessed
    assert trained.predict(["a wonderful, lovely purchase"], ["en"])[0][0] == "praise"  # learnt from the seed alone


def test_feedback_train_adds_the_seed_rows_except_copies_of_its_labelled_texts(session, app, loaded_taxonomy):
    seed = seed_rows()
    extra = [(r["text"], r["label"]) for r in dev_rows()[::8]]
    extra += [(seed[0][0], "other")]  # a person's label for a seed text wins: the seed row is dropped
    figures = classify.train(session, instance_path=app.instance_path, extra=extra, now=NOW)
    assert figures["rows"] == len(extra) and figures["seed_rows"] == len(seed) - 1
    assert figures["languages"]["en"]["seed_rows"] == len(seed) - 1 and figures["languages"]["zh"]["seed_rows"] == 0
