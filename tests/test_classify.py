"""Classification without a database: language, rules, the model, metrics and storage."""

from __future__ import annotations

import json

import pytest

from feedback.classify import evaluate, model
from feedback.classify.language import detect_language
from feedback.classify.rules import OTHER, Lexicon, normalize, read_cues, rule_prediction
from feedback.classify.service import Classifier
from tests.classify_model import install_model, shipped_categories, trained_instance

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
