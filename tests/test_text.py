import pytest

from media_monitor.normalise.text import (
    clean_text,
    clean_title,
    comparison_key,
    content_hash,
    drop_furniture,
    fold,
    word_count,
)


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("  Hello   world  ", "Hello world"),
        ("Para one.\n\n\n  Para two. ", "Para one.\nPara two."),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("<p>Tagged</p> text", "Tagged text"),
        ("zero\u200bwidth\x00", "zerowidth"),
        # soft hyphens (as characters or entities) and word joiners split words for search
        ("Rück\u00adschlag für Ten Hag", "Rückschlag für Ten Hag"),
        ("Bundes&shy;regierung", "Bundesregierung"),
        ("Berg\u2060karabach", "Bergkarabach"),
        ("line\r\nbreak", "line\nbreak"),
        (None, ""),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_titles_and_names_lose_invisible_characters():
    # a German headline with the soft hyphens its CMS sets for line breaks, and a byline
    assert (
        clean_title("Premier\u00adLeague: Rück\u00adschlag\u200b für\nTen Hag")
        == "PremierLeague: Rückschlag für Ten Hag"
    )
    assert clean_title("Jörg\u00ad Sol\u00addwisch") == "Jörg Soldwisch"


def test_clean_title_is_one_line():
    assert clean_title("Peacekeepers\n  leave ") == "Peacekeepers leave"


def test_comparison_key_ignores_case_punctuation_and_spacing():
    assert comparison_key("Последние миротворцы покинули Карабах!") == comparison_key(
        "последние  миротворцы, покинули карабах"
    )
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


@pytest.mark.parametrize(
    "line, furniture",
    [
        ("Read also: Peacekeepers leave Khankendi", True),
        ("Читайте также: Миротворцы покидают Карабах", True),
        ("Həmçinin oxuyun: Sülhməramlılar çıxır", True),
        ("Photo: Reuters", True),
        ("Фото: ТАСС", True),
        ("Crédits photos : Bestimage", True),
        ("Follow us on Telegram", True),
        ("Подписывайтесь на наш канал в Telegram", True),
        ("Kontakt: presse@example.org", True),
        ("12 comments", True),
        ("Advertisement", True),
        # sentences of an article that merely start with such a word stay
        ("Photographs of the convoy were published on Tuesday.", False),
        ("Readers in Baku followed the withdrawal closely.", False),
        ("Contact between the two sides resumed in May.", False),
        ("Weitere Infos unter www.example.de.", True),
        ("Weitere Informationen:", True),
        ("Weitere Informationen erteilt Anne Althaus unter Tel. 02382 59743.", False),
        ("Read also the statement of the Russian defence ministry, which says the withdrawal " * 3, False),
    ],
)
def test_page_furniture_lines_are_dropped(line, furniture):
    text = f"The withdrawal began on 17 April.\n{line}\nThe last convoy left in June."
    assert (line not in drop_furniture(text).split("\n")) == furniture


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("Tagged <b>bold</b> and <a href='/x'>linked</a><br/>", "Tagged bold and linked"),
        ("<!-- a comment -->Text", "Text"),
        # brackets in plain text are not tags: titles in Korean, placeholders, comparisons
        ("MBC <숨바꼭질>은 방영을", "MBC <숨바꼭질>은 방영을"),
        ("Edit <config files> first", "Edit <config files> first"),
        ("if a < b and c > d", "if a < b and c > d"),
    ],
)
def test_only_real_tags_are_stripped(raw, clean):
    assert clean_text(raw) == clean
