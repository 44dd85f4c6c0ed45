import pytest
from langdetect.detector import Detector

from media_monitor.normalise.language import (
    _Detector,
    _factory,
    declared_code,
    detect_language,
)

EN = "Russian peacekeepers began leaving the Karabakh region on Wednesday, the Kremlin confirmed, ending a mission that started in 2020."
RU = "Российские миротворцы начали покидать Карабах, подтвердили в Кремле. Миссия продолжалась с ноября 2020 года."
HY = "Ռուս խաղաղապահները սկսել են հեռանալ Ղարաբաղից, հաստատել են Կրեմլում։ Առաքելությունը սկսվել էր 2020 թվականի նոյեմբերին։"
AZ = "Rusiya sülhməramlıları Qarabağ bölgəsini tərk etməyə başlayıb. Prezidentin köməkçisi bu barədə məlumat verib."
# Azerbaijani without ə: only the page's or outlet's language can tell it from Turkish.
AZ_NO_SCHWA = "Rusiya sulh qüvvələri bu gün Xankəndidən çıxır deyə bildirildi"
TR = "Rus barış gücü askerleri bugün bölgeden çekilmeye başladı, Kremlin sözcüsü açıklama yaptı ve süreç devam ediyor."
KA = "რუსი სამშვიდობოები ყარაბაღიდან გასვლას იწყებენ, კრემლმა დაადასტურა ეს ინფორმაცია."


@pytest.mark.parametrize(
    "text, declared, outlet, expected",
    [
        (EN, None, None, ("en", "langdetect")),
        (RU, None, None, ("ru", "langdetect")),
        (HY, None, None, ("hy", "script")),  # langdetect alone says Estonian
        (HY, "ru", "ru", ("hy", "script")),  # the script outranks a wrong declaration
        (KA, None, None, ("ka", "script")),
        (AZ, None, None, ("az", "letters")),  # langdetect alone says Turkish
        (TR, None, None, ("tr", "langdetect")),
        (TR, "az", "az", ("az", "declared")),
        (TR, None, "az", ("az", "outlet")),
        ("Short", "hy-AM", "ru", ("hy", "declared")),  # too little text to judge
        ("", None, "az", ("az", "outlet")),
    ],
)
def test_detect_language(text, declared, outlet, expected):
    assert detect_language(text, declared, outlet) == expected


def test_detection_repeats():
    assert len({detect_language(EN + " " + RU) for _ in range(5)}) == 1


@pytest.mark.parametrize(
    "tag, code",
    [("hy-AM", "hy"), ("az_Latn_AZ", "az"), ("RU", "ru"), ("en", "en"), ("", None), (None, None), ("x-klingon", None)],
)
def test_declared_code(tag, code):
    assert declared_code(tag) == code


# Labelled texts written for these tests (tests/data/languages.tsv): label, kind, text.
def _labelled():
    from pathlib import Path

    path = Path(__file__).parent / "data" / "languages.tsv"
    rows = [
        line.split("\t", 2)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return [(label, kind, text, detect_language(text)[0]) for label, kind, text in rows]


LABELLED = _labelled()


def test_labelled_set_is_large_and_covers_the_languages():
    assert len(LABELLED) >= 300
    assert {label for label, *_ in LABELLED} == {"en", "ru", "hy", "az", "uk", "tr", "ka", "de", "fr"}


@pytest.mark.parametrize("kind, target", [("body", 0.99), ("headline", 0.95)])
def test_accuracy_targets(kind, target):
    rows = [(label, got) for label, k, _, got in LABELLED if k == kind]
    assert sum(label == got for label, got in rows) / len(rows) >= target


def test_never_confused():
    for label, _, text, got in LABELLED:
        assert not (label == "az" and got == "tr"), text
        assert not (label == "hy" and got == "et"), text
        assert not (label == "tr" and got == "az"), text
        # Ukrainian written with its own letters is never called Russian (a headline without
        # і ї є ґ can be: nothing in its letters tells them apart).
        if label == "uk" and any(c in text for c in "іїєґІЇЄҐ"):
            assert got == "uk", text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Футбольний клуб призначив тренера, повідомили в міністерстві", ("uk", "langdetect")),
        ("Ереван заявил, что с ним решение не обсуждали", ("ru", "letters")),
        ("Qarabağ xəbər", (None, "outlet")),  # too short to judge
        ("Xankəndi yolu bağlanıb, sakinlər narahatdır", ("az", "letters")),
    ],
)
def test_letters_settle_close_pairs(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        EN,
        RU,
        HY,
        AZ,
        TR,
        KA,
        "NATO and the OSCE: a USA-led MISSION ends",  # words in capitals, whose insides langdetect skips
        "  two  spaces,\tpunctuation!! and\nlines ",  # runs of spaces; leading and trailing spaces
        "Ünïcödé ÀÉ × ÷ ș ț — “quoted” 日本語 ひらがな カタカナ 한국어 ع ی",  # blocks langdetect normalises
        "Tiếng Việt có dấu",  # decomposed Vietnamese marks, which langdetect recomposes first
        "a",
        "",
    ],
)
def test_ngrams_are_langdetects_own(text):
    # the faster extraction must feed langdetect's trials exactly what its own would
    ours, theirs = _Detector(_factory()), Detector(_factory())
    for detector in (ours, theirs):
        detector.append(text)
        detector.cleaning_text()
    assert ours._extract_ngrams() == theirs._extract_ngrams()


def test_ngrams_and_probabilities_of_the_labelled_texts_are_langdetects_own():
    for _, _, text, _ in LABELLED:
        ours, theirs = _Detector(_factory()), Detector(_factory())
        ours.append(text)
        theirs.append(text)
        assert ours._extract_ngrams() == theirs._extract_ngrams(), text
        assert [(g.lang, g.prob) for g in ours.get_probabilities()] == [
            (g.lang, g.prob) for g in theirs.get_probabilities()
        ], text


def test_a_word_cut_at_the_end_of_one_text_and_inside_another_gives_each_its_own_ngrams():
    # n-grams are cached per word: the same word read without and with its closing space
    for text in ("talks on peace", "peace talks", "Peace", "PEACE talks"):
        ours, theirs = _Detector(_factory()), Detector(_factory())
        for detector in (ours, theirs):
            detector.append(text)
            detector.cleaning_text()
        assert ours._extract_ngrams() == theirs._extract_ngrams(), text


# Languages langdetect has no profile of: it answers with one it knows, so the page's own
# declaration (<html lang>, JSON-LD inLanguage) wins (issue 18: Icelandic, Zulu, Xhosa pages).
ICELANDIC = (
    "Rússneskir friðargæsluliðar hafa yfirgefið Nagorno-Karabakh samkvæmt yfirlýsingu stjórnvalda í Moskvu "
    "á miðvikudag, og síðasta bílalestin fór yfir landamærin til Armeníu."
)
ZULU = (
    "Amasosha aseRussia okugcina ukuthula asephumile esifundeni saseKarabakh, kusho uhulumeni ngoLwesithathu, "
    "futhi imoto yokugcina isiwelile umngcele."
)
XHOSA = (
    "Amajoni aseRashiya okugcina uxolo aphumile kwingingqi yaseKarabakh, utshilo urhulumente ngoLwesithathu, "
    "kwaye ikholamu yokugqibela iwelile umda."
)


@pytest.mark.parametrize("text, declared", [(ICELANDIC, "is"), (ZULU, "zu"), (XHOSA, "xh-ZA")])
def test_the_declared_language_wins_where_langdetect_has_no_profile(text, declared):
    assert detect_language(text, declared, "en") == (declared[:2], "declared")
    # undeclared, langdetect answers with a language it knows: what the rule corrects
    guessed, source = detect_language(text, None, None)
    assert source == "langdetect" and guessed != declared[:2]


@pytest.mark.parametrize(
    "text, declared, expected",
    [
        # a language langdetect knows is still checked against the text: a CMS's default "en"
        ("Российские миротворцы начали покидать Карабах, подтвердили в Кремле в среду.", "en", ("ru", "langdetect")),
        # Norwegian's written standards are langdetect's "no"
        (
            "Russiske fredsbevarende styrker har forlatt Nagorno-Karabakh, opplyser myndighetene i Moskva onsdag.",
            "nb",
            ("no", "langdetect"),
        ),
    ],
)
def test_a_declaration_langdetect_can_check_is_checked(text, declared, expected):
    assert detect_language(text, declared, None) == expected
