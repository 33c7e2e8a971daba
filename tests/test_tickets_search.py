"""Ticket search words: Latin words, Chinese character pairs, the prefix rule."""

from feedback import search


def test_words_split_latin_and_pair_chinese():
    assert search.words("Parcel SO-2026 物流太慢! parcel") == ["parcel", "so", "2026", "物流", "流太", "太慢"]
    assert search.words("单") == ["单"] and search.words("") == []


def test_mixed_runs_split_at_the_script_boundary():
    assert search.words("iPhone手机坏了") == ["iphone", "手机", "机坏", "坏了"]


def test_document_words_stop_at_the_limit_keeping_the_first_texts():
    assert search.document_words(["title words", "customer", "a b c d"], 4) == ["title", "words", "customer", "a"]


def test_long_words_are_cut_to_the_column_size():
    assert search.words("x" * 60) == ["x" * search.MAX_LENGTH]


def test_a_query_without_words_adds_no_condition():
    assert search.condition("  -- !! ") is None
