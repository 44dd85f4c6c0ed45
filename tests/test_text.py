import pytest

from scraper.normalise.text import clean_text, clean_title, comparison_key, content_hash, fold, word_count


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("  Hello   world  ", "Hello world"),
        ("Para one.\n\n\n  Para two. ", "Para one.\nPara two."),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("<p>Tagged</p> text", "Tagged text"),
        ("zero\u200bwidth\x00", "zerowidth"),
        ("line\r\nbreak", "line\nbreak"),
        (None, ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_title_is_one_line():
    assert clean_title("Peacekeepers\n  leave ") == "Peacekeepers leave"


def test_comparison_key_ignores_case_punctuation_and_spacing():
    assert comparison_key("Последние миротворцы покинули Карабах!") == comparison_key("последние  миротворцы, покинули карабах")
    assert comparison_key("QARABAĞ İZLƏMƏ") == "qarabağ izləmə"


def test_fold_joins_the_turkic_is():
    assert fold("İstanbul") == "istanbul"
    assert fold("SÜLHMƏRAMLILAR") == fold("sülhməramlılar")


def test_content_hash_equal_for_same_text_and_absent_for_no_words():
    assert content_hash("A b, c.") == content_hash("a  B c")
    assert content_hash("A b, c.") != content_hash("a b d")
    assert content_hash(" ... ") is None


@pytest.mark.parametrize("text, count", [("one two three", 3), ("Ղարաբաղից դուրս", 2), ("", 0), ("1,960 troops", 3)])
def test_word_count(text, count):
    assert word_count(text) == count
