"""Classification without a database: language, rules, the model, metrics and storage."""

from __future__ import annotations

import json

import pytest

from feedback.classify import evaluate, model
from feedback.classify.language import detect_language
from feedback.classify.rules import OTHER, Lexicon, normalize, read_cues, rule_prediction
from feedback.classify.service import Classifier
from tests.classify_model import install_model, shipped_categories, trained_instance
from tests.factories import NOW

CATEGORIES = [
    ("logistics.late", ["delayed", "took forever"], ["太慢了", "等了很久"]),
    ("service.attitude", ["rude"], ["态度差"]),
    ("marketing.price", ["too expensive"], ["太贵"]),
    (OTHER, [], []),
]


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon.build(CATEGORIES)


@pytest.mark.parametrize("text, language", [
    ("The parcel is late again and nobody answers", "en"),
    ("送餐太慢了，等了两个小时", "zh"),
    ("app闪退了", "zh"),
    ("Le colis est arrivé cassé, très déçu du vendeur", "other"),
    ("配達が遅いです", "other"),
    ("", "other"),
    ("OK", "en"),
])
def test_language_is_detected_from_script_and_english_words(text, language):
    assert detect_language(text) == language


def test_english_keywords_match_whole_words_only(lexicon):
    assert lexicon.hits(normalize("The agent was RUDE to me")) == {"service.attitude": 1}
    assert lexicon.hits(normalize("a prudent shopper")) == {}
    assert lexicon.hits(normalize("Delayed twice, took forever")) == {"logistics.late": 2}


def test_chinese_keywords_match_as_substrings_of_normalized_text(lexicon):
    assert lexicon.hits(normalize("外卖太慢了！客服态度差")) == {"logistics.late": 1, "service.attitude": 1}
    assert lexicon.hits(normalize("ＡＰＰ太贵")) == {"marketing.price": 1}  # full-width letters fold by NFKC


def test_rules_prefer_the_category_named_most_and_are_less_sure_when_several_are_named(lexicon):
    assert rule_prediction(lexicon, "delayed, took forever") == ("logistics.late", 0.8)
    assert rule_prediction(lexicon, "太贵") == ("marketing.price", 0.7)
    category, confidence = rule_prediction(lexicon, normalize("delayed and delayed and rude"))
    assert category == "logistics.late" and confidence == pytest.approx(0.7 * 2 / 3, abs=0.001)
    assert rule_prediction(lexicon, "nice weather") is None


def test_without_a_model_rules_decide_and_no_hit_means_other(lexicon):
    judge = Classifier(CATEGORIES, lexicon)
    late, nothing = judge.predict(["It was delayed", "Just saying hello"])
    assert (late.category, late.method, late.language) == ("logistics.late", "rule", "en")
    assert (nothing.category, nothing.confidence) == (OTHER, 0.0)


def test_shipped_cues_load_and_an_instance_adds_its_own(tmp_path):
    (tmp_path / "cues.toml").write_text('[cues."marketing.price"]\nzh = ["割韭菜"]\n', encoding="utf-8")
    cues = read_cues(tmp_path)
    assert "割韭菜" in cues["cues"]["marketing.price"]["zh"]
    assert "降价" in cues["cues"]["marketing.price"]["zh"]


def test_the_model_takes_precedence_for_languages_it_was_trained_on(tmp_path):
    categories = shipped_categories()
    judge = Classifier(categories, Lexicon.build(categories, read_cues()), model.load(trained_instance()))
    zh, en = judge.predict(["等了两个小时才送到，饭都凉了", "The courier threw my parcel over the fence"])
    assert zh.method == en.method == "model"
    assert zh.category == "logistics.late"
    assert 0.0 < en.confidence <= 1.0


def test_a_saved_model_records_version_size_and_scores_and_a_new_one_takes_over(tmp_path):
    install_model(tmp_path)
    first = model.read_meta(tmp_path)
    assert first["version"] == 1 and first["rows"] == 685 and first["bytes"] > 0
    assert set(first["languages"]) == {"en", "zh"}
    assert 0.3 < first["languages"]["zh"]["cv_accuracy"] <= 1.0
    loaded = model.load(tmp_path)
    assert model.load(tmp_path) is loaded  # cached while the file is unchanged
    second = model.save(model.Model(loaded.pipelines, dict(loaded.meta)), tmp_path)
    assert second["version"] == 2
    assert json.loads((model.folder(tmp_path) / model.META).read_text())["file"] == "model-v2.joblib"
    assert model.load(tmp_path).meta["version"] == 2


def test_evaluation_reports_accuracy_macro_f1_per_label_and_confusion():
    scores = evaluate(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    assert scores.accuracy == 0.75
    assert dict((label, (p, r)) for label, p, r, _f, _n in scores.per_label) == {"a": (1.0, 0.5), "b": (2 / 3, 1.0)}
    assert scores.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert scores.confusion == [[1, 1], [0, 2]]


def test_a_phrase_at_the_very_end_counts_once_beside_longer_phrases_with_the_same_start():
    lexicon = Lexicon.build([("a", ["late", "late again today"], ["太贵", "太贵了吧"])])
    assert lexicon.hits("so late") == {"a": 1}
    assert lexicon.hits("太贵") == {"a": 1}


def test_praise_right_after_a_negator_counts_as_a_word_of_complaint():
    cues = {"sentiment": {"negative_en": ["bad"], "negative_zh": ["差"]}}
    lexicon = Lexicon.build([("praise", ["happy", "recommend"], ["满意"]), (OTHER, [], [])], cues)
    negative = 2 * len(lexicon.labels)  # the complaint-word column after strong and weak columns

    def columns(text):
        return lexicon.matcher.counts(normalize(text))

    assert columns("very happy with it") == {0: 1}
    assert columns("not happy at all") == {negative: 1}
    assert columns("I don't really recommend it") == {negative: 1}
    assert columns("不满意") == {negative: 1} and columns("很满意") == {0: 1}
    assert lexicon.hits(normalize("wasn't happy, not satisfied")) == {}


def test_strong_cues_of_the_cue_file_join_the_taxonomy_keywords_and_weak_ones_do_not():
    cues = {"cues": {"marketing.price": {"strong_en": ["costs a fortune"], "en": ["fortune"]}}}
    lexicon = Lexicon.build(CATEGORIES, cues)
    assert lexicon.hits(normalize("It costs a fortune")) == {"marketing.price": 1}
    assert lexicon.hits(normalize("a small fortune")) == {}
    assert rule_prediction(lexicon, normalize("It costs a fortune")) == ("marketing.price", 0.7)


def test_the_model_names_its_best_scoring_category_with_that_categorys_calibrated_probability():
    trained = model.load(trained_instance())
    pipeline = trained.pipelines["zh"]
    texts = [normalize(t) for t in ("等了两个小时才送到", "包装破了，洒了一袋", "太贵了，不值这个价", "很好吃，下次还来")]
    probabilities = pipeline.predict_proba(texts)
    classes = list(pipeline.classes_)
    for (category, confidence), row in zip(trained.predict(texts, ["zh"] * len(texts)), probabilities):
        assert confidence == pytest.approx(row[classes.index(category)], abs=1e-4)
    assert trained.predict(texts[:1], ["zh"])[0][0] == "logistics.late"


def test_cross_validation_reports_f1_per_label():
    scores = model.read_meta(trained_instance())["languages"]["zh"]
    assert set(scores["cv_f1"]) == set(scores["labels"])
    assert all(0.0 <= f1 <= 1.0 for f1 in scores["cv_f1"].values())
    assert 0.0 < scores["cv_macro_f1"] == pytest.approx(sum(scores["cv_f1"].values()) / len(scores["cv_f1"]), abs=0.01)


def test_a_language_labelled_with_two_categories_only_still_gets_a_model():
    categories = [("logistics.late", ["slow"], []), ("praise", ["great"], [])]
    rows = [("so slow delivery", "logistics.late"), ("it was late again", "logistics.late"),
            ("great stuff", "praise"), ("love it, great", "praise")] * 4
    trained = model.train([(t, label, "en") for t, label in rows], Lexicon.build(categories), categories, now=NOW)
    (late, late_confidence), (praise, _) = trained.predict(["slow, slow, slow", "great!"], ["en", "en"])
    assert (late, praise) == ("logistics.late", "praise")
    assert 0.5 < late_confidence <= 1.0


def test_a_model_stored_by_an_earlier_version_with_joblib_still_loads(tmp_path):
    import joblib

    install_model(tmp_path)
    meta = model.read_meta(tmp_path)
    current = model.load(tmp_path)
    joblib.dump(model.Model(current.pipelines, dict(meta)), model.folder(tmp_path) / meta["file"], compress=3)
    model._cache.clear()
    again = model.load(tmp_path)
    assert again is not current
    assert again.predict(["等了两个小时才送到"], ["zh"]) == current.predict(["等了两个小时才送到"], ["zh"])
