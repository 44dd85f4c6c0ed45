"""Pages in legacy encodings come out as correct Unicode, decoded the way a spider decodes
them (Scrapy's ``HtmlResponse.text``) and then read by ``extract_page``."""

import pytest
from scrapy.http import HtmlResponse

from media_monitor.extraction.page import extract_page

PAGES = {
    "ru": (
        "Российские миротворцы покидают Карабах",
        "Первая колонна техники покинула город рано утром в среду, сообщили в министерстве обороны. "
        "Местные жители молча наблюдали, как грузовики проезжают по главной дороге. "
        "Представитель министерства отказался назвать точное число военных.",
    ),
    "uk": (
        "Російські миротворці залишають Карабах",
        "Перша колона техніки залишила місто рано вранці в середу, повідомили в міністерстві. "
        "Місцеві мешканці мовчки спостерігали, як вантажівки їдуть головною дорогою. "
        "Речник міністерства відмовився назвати точну кількість військових.",
    ),
    "fr": (
        "Les soldats de la paix russes quittent le Karabakh",
        "La première colonne de véhicules a quitté la ville tôt mercredi matin, a déclaré le ministère. "
        "Les habitants ont regardé en silence les camions passer sur la route principale. "
        "Un porte-parole a refusé de donner le nombre exact de soldats à l'été.",
    ),
    "de": (
        "Russische Friedenstruppen verlassen Karabach",
        "Die erste Fahrzeugkolonne verließ die Stadt am Mittwoch früh, teilte das Ministerium mit. "
        "Anwohner beobachteten schweigend, wie die Lastwagen über die Hauptstraße fuhren. "
        "Ein Sprecher wollte die genaue Zahl der Soldaten nicht nennen, größere Änderungen gebe es nicht.",
    ),
}
CASES = [
    # (language, encoding as Python names it, charset label the server or page prints)
    ("ru", "cp1251", "windows-1251"),
    ("uk", "cp1251", "windows-1251"),
    ("ru", "koi8_r", "koi8-r"),
    ("fr", "latin_1", "iso-8859-1"),
    ("de", "latin_1", "iso-8859-1"),
]


def html(title: str, text: str, meta: str = "") -> str:
    paragraphs = "".join(f"<p>{sentence}.</p>" for sentence in text.split(". "))
    return (
        f"<html><head>{meta}<title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{paragraphs}</article></body></html>"
    )


@pytest.mark.parametrize("language, codec, label", CASES)
@pytest.mark.parametrize("where", ["header", "meta charset", "meta http-equiv", "nowhere"])
def test_legacy_encodings_decode(language, codec, label, where):
    title, text = PAGES[language]
    meta = {
        "meta charset": f'<meta charset="{label}">',
        "meta http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={label}">',
    }.get(where, "")
    headers = {"Content-Type": f"text/html; charset={label}"} if where == "header" else {"Content-Type": "text/html"}
    body = html(title, text, meta).encode(codec)
    response = HtmlResponse(url="https://news.example/a", body=body, headers=headers)
    page = extract_page(response.text, response.url)
    assert page["title"] == title
    assert (
        "Hauptstraße" in page["text"]
        or "главной дороге" in page["text"]
        or "головною дорогою" in page["text"]
        or "route principale" in page["text"]
    )
    assert text.split(". ")[1] in page["text"]


from media_monitor.extraction.encoding import guess_single_byte_cyrillic, response_text  # noqa: E402


@pytest.mark.parametrize(
    "codec, title",
    [
        ("cp1251", "Миротворцы покидают Карабах"),
        ("koi8_r", "Миротворцы покидают Карабах"),
        ("cp1251", "Вывод войск завершён"),
        ("koi8_r", "Вывод войск завершён"),
        ("cp1251", "Війська виходять з міста"),  # KOI8-R has no і: Ukrainian pages use KOI8-U or cp1251
    ],
)
def test_short_undeclared_cyrillic_pages(codec, title):
    # Too short for Scrapy's detector (it reads short KOI8-R as Shift JIS): response_text decides.
    body = f"<html><head><title>{title}</title></head><body><p>{title}</p></body></html>".encode(codec)
    response = HtmlResponse(url="https://news.example/a", body=body, headers={"Content-Type": "text/html"})
    assert extract_page(response_text(response), response.url)["title"] == title


@pytest.mark.parametrize("language, codec, label", CASES)
def test_response_text_keeps_what_is_declared_or_detected(language, codec, label):
    title, text = PAGES[language]
    for headers, meta in (
        ({"Content-Type": f"text/html; charset={label}"}, ""),
        ({"Content-Type": "text/html"}, f'<meta charset="{label}">'),
        ({"Content-Type": "text/html"}, ""),
    ):
        body = html(title, text, meta).encode(codec)
        response = HtmlResponse(url="https://news.example/a", body=body, headers=headers)
        assert extract_page(response_text(response), response.url)["title"] == title


def test_utf8_and_latin_text_are_not_taken_for_cyrillic():
    assert guess_single_byte_cyrillic("Größere Änderungen gebe es nicht".encode("latin_1")) is None
    assert guess_single_byte_cyrillic(b"plain ascii") is None
