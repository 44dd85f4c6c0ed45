import lxml.html
import pytest

from media_monitor.extraction.agencies import agency
from media_monitor.extraction.authors import (
    Credits,
    byline_names,
    choose_authors,
    clean_author,
    first_byline,
    json_ld_names,
    names_in,
    text_byline,
)


@pytest.mark.parametrize(
    "raw, name",
    [
        ("By Ann Smith", "Ann Smith"),
        ("Written by: Ann Smith", "Ann Smith"),
        ("Posted on May 21, 2024 by Ann Smith", "Ann Smith"),
        ("View all posts by Daniel Lemire", "Daniel Lemire"),
        ("par Didier Roy, 21 juin 2018", "Didier Roy"),
        ("Автор: Анна Смирнова", "Анна Смирнова"),
        ("Müəllif: Aysel Məmmədova", "Aysel Məmmədova"),
        ("Ann Smith | 5 min read", "Ann Smith"),
        ("Ann Smith - Chrome team", "Ann Smith"),
        # nobody
        ("By", None),
        ("Artikel von", None),
        ("Posted on", None),
        ("admin", None),
        ("Foto: Ingo Schneider", None),
        ("https://news.example/author/ann", None),
        ("@annsmith", None),
        ("Subscribe to our newsletter and get the best stories of the week", None),
        ("Afficher mon profil complet", None),
        ("Jose de la Cruz", "Jose de la Cruz"),
        ("fri.juli", "fri.juli"),
    ],
)
def test_clean_author(raw, name):
    assert clean_author(raw) == name


@pytest.mark.parametrize(
    "text, names",
    [
        (
            "Posted by Nathan Parker, Varun Khaneja, Eric Mill and Kiran C Nair - Chrome Safe Browsing team",
            ["Nathan Parker", "Varun Khaneja", "Eric Mill", "Kiran C Nair"],
        ),
        ("Grant Tinsley, PhD", ["Grant Tinsley"]),
        ("Von Anna Müller und Peter Weber", ["Anna Müller", "Peter Weber"]),
    ],
)
def test_byline_names(text, names):
    assert byline_names(text) == names


def test_json_ld_author_by_reference():
    graph = {"#ann": {"@id": "#ann", "@type": "Person", "name": "Ann Smith"}}
    assert json_ld_names([{"@id": "#ann"}, {"@type": "Person", "name": "Bob Jones"}, "Carol"], graph) == [
        "Ann Smith",
        "Bob Jones",
        "Carol",
    ]


@pytest.mark.parametrize(
    "body, names",
    [
        (
            '<div class="comments"><span class="comment-author">Troll</span></div>'
            '<p class="byline">By <a rel="author" href="/a/ann">Ann Smith</a></p>',
            ["Ann Smith"],
        ),
        # "By" in one element, the name in the next
        ('<p><span class="sr-only">| By </span><span>Ann Smith</span> | <time>May 2</time></p>', ["Ann Smith"]),
        ('<header><h1>Masks stolen</h1><p class="credit">JIJI</p></header>', ["JIJI"]),
        # a picture's credit and the site's footer name nobody who wrote the article
        (
            '<figure><img src="x.jpg"><figcaption class="credit">Reuters</figcaption></figure>'
            '<footer><span class="site-credit">Proudly powered by WordPress</span></footer>',
            [],
        ),
        # a blog's own post footer does carry the byline
        ('<div class="post-footer"><span class="post-author">Posted by T. V. Raman</span></div>', ["T. V. Raman"]),
        # "By" and the name's link in one element, whatever its class
        ('<address>By <a href="/author/tanderson/">Tim Anderson</a></address>', ["Tim Anderson"]),
        ('<p class="date">Erstellt von <a href="/author/fabian/">Fabian</a> am 6. Mai 2014</p>', ["Fabian"]),
        # a class that says Author with a capital (Plone's documentAuthor); Drupal's "submitted"
        (
            '<div class="documentByLine"><span class="documentAuthor"><a href="/author/d">Dominique</a></span></div>',
            ["Dominique"],
        ),
        (
            '<div class="submitted">Gespeichert von <span class="username">rasos</span> am 24. Juli 2017</div>',
            ["rasos"],
        ),
        # a label in its own element, the name in the next
        ('<dl><dt>Auteur</dt><dd><a href="/fr/staff/ug/">Uriel Gadessaud</a></dd></dl>', ["Uriel Gadessaud"]),
        # an element that is a byline by its words alone
        ('<span class="category">Posted by Konstantin</span>', ["Konstantin"]),
        ('<div class="longText"><p>Auteur : Kossivi Tiassou </p></div>', ["Kossivi Tiassou"]),
        # an author card: the name is what the picture's alt text repeats
        (
            '<div class="author-info"><img alt="Inga Hoeltmann" src="i.jpg"><h3><a href="/in/ih">Inga Hoeltmann</a>'
            '</h3><a href="/f">Follow</a><h4>Journalistin, Texterin und Moderatorin in Hamburg. Schreibt über '
            "Arbeit, Hochzeiten und das Wendland.</h4></div>",
            ["Inga Hoeltmann"],
        ),
        # another article's teaser names its own author
        (
            '<div class="module-teaser"><span>von </span><span><a href="/u/kb">KB_Redaktion</a></span></div>'
            '<span class="user-name">von <span><a href="/u/m1">Marianne1</a></span></span>',
            ["Marianne1"],
        ),
        # prose that links a name after "by" is not a byline
        ('<p>The figures were published by <a href="https://reuters.com">Reuters</a> on Monday.</p>', []),
    ],
)
def test_printed_byline(body, names):
    found = first_byline(lxml.html.document_fromstring(f"<html><body>{body}</body></html>"))
    assert (found[1] if found else []) == names


@pytest.mark.parametrize(
    "text, names",
    [
        ("Por Agencia EFE\nEl presidente de Chile viajará este miércoles a Magallanes.", ["Agencia EFE"]),
        ("The withdrawal began.\nIt ended in June.\nWritten by: Julie Mollins", ["Julie Mollins"]),
        # a sentence that starts with "By" is not a byline
        ("By the end of June the last convoy had left Khankendi, officials said.", []),
    ],
)
def test_text_byline(text, names):
    assert text_byline(text) == names


@pytest.mark.parametrize(
    "sources, names",
    [
        # the first source that names a person
        ([["Ann Smith"], ["Bob Jones"]], ["Ann Smith"]),
        ([[], ["By Bob Jones"]], ["Bob Jones"]),
        # the site's name as author gives way to a person named later ...
        ([["News Example"], ["Bob Jones"]], ["Bob Jones"]),
        # ... and stands when nobody else is named
        ([["News Example"], []], ["News Example"]),
        # a handle, spelled out by another source
        ([["ann.smith"], ["Ann Smith"]], ["Ann Smith"]),
        ([["ann.smith"]], ["ann.smith"]),
        # spaces for underscores say nothing new: the handle stays as the page prints it
        ([["ThE_PaiN"], ["ThE PaiN"]], ["ThE_PaiN"]),
    ],
)
def test_choose_authors(sources, names):
    assert choose_authors(lambda name: name == "News Example", *sources).people == names


def test_a_costly_source_is_asked_only_when_the_ones_before_name_nobody():
    asked = []

    def costly():
        asked.append("asked")
        return ["Bob Jones"]

    def names_site(name):
        return name == "News Example"

    assert choose_authors(names_site, ["Ann Smith"], costly).people == ["Ann Smith"]
    assert asked == []
    assert choose_authors(names_site, ["News Example"], costly).people == ["Bob Jones"]
    assert asked == ["asked"]


# Bylines as real pages give them (issue 18: 257 pages from 180 publishers), split into people.
@pytest.mark.parametrize(
    "raw, names",
    [
        ("Samya Kullab and Vasilisa Stepanenko", ["Samya Kullab", "Vasilisa Stepanenko"]),  # AP
        ("Felix Schröder und Jörg Soldwisch, dpa", ["Felix Schröder", "Jörg Soldwisch", "dpa"]),
        ("Kari Nordmann og Ola Nordmann", ["Kari Nordmann", "Ola Nordmann"]),  # NRK, Aftenposten
        ("Anna Svensson och Erik Lind", ["Anna Svensson", "Erik Lind"]),  # SVT, DN
        ("Анна Смирнова и Иван Петров", ["Анна Смирнова", "Иван Петров"]),
        ("Олена Петренко і Іван Коваль", ["Олена Петренко", "Іван Коваль"]),
        ("Աննա Պետրոսյան և Արամ Սարգսյան", ["Աննա Պետրոսյան", "Արամ Սարգսյան"]),
        ("Aysel Məmmədova və Elvin Əliyev", ["Aysel Məmmədova", "Elvin Əliyev"]),
        ("Ayşe Yılmaz ve Mehmet Kaya", ["Ayşe Yılmaz", "Mehmet Kaya"]),
        ("Juan Pérez y María López", ["Juan Pérez", "María López"]),
        ("Marco Rossi e Giulia Bianchi", ["Marco Rossi", "Giulia Bianchi"]),
        ("srf/hosb;kesm", ["srf", "hosb", "kesm"]),  # SRF's signature: the outlet and editors' codes
        ("dsw / DPA", ["dsw", "DPA"]),
        # not people
        ("Fredrik Persson/AP", []),  # a photo credit
        ("Jemima Kelly 05. November 2024", ["Jemima Kelly"]),  # a date glued to the name
        ("Ann Lee May 5, 2024", ["Ann Lee"]),
        ("Themen bearbeiten", []),
        ("Veröffentlicht", []),
        ("(obe)", []),
        ("Von Anna Müller (obe)", ["Anna Müller"]),
    ],
)
def test_names_in(raw, names):
    assert names_in(raw) == names


@pytest.mark.parametrize(
    "name, short",
    [
        ("AP", "AP"),
        ("The Associated Press", "AP"),
        ("Reuters", "Reuters"),
        ("Agence France-Presse", "AFP"),
        ("dpa", "dpa"),
        ("DPA", "dpa"),
        ("ТАСС", "TASS"),
        ("APA", "APA"),
        ("Trend", "Trend"),
        ("Agencia EFE", "EFE"),
        ("Ann Smith", None),
        ("Apa Sherpa", None),
    ],
)
def test_agency(name, short):
    assert agency(name) == short


def never_the_site(name):
    return name == "News Example"


@pytest.mark.parametrize(
    "sources, credits",
    [
        # the agency apart from the people, from the same value
        ([["Felix Schröder und Jörg Soldwisch, dpa"]], Credits(["Felix Schröder", "Jörg Soldwisch"], ["dpa"])),
        # an agency alone names no person: the next source's person is the author
        ([["Reuters"], ["By Ann Smith"]], Credits(["Ann Smith"], ["Reuters"])),
        ([["Associated Press"]], Credits([], ["AP"])),
        # the site's name only when nobody and no agency is named
        ([["News Example"], ["AFP"]], Credits([], ["AFP"])),
        ([["News Example"]], Credits(["News Example"], [])),
        # an author's URL slug listed beside the name it spells
        ([["Emma Mackenzie", "emma-mackenzie"]], Credits(["Emma Mackenzie"], [])),
        # a photo credit is nobody's byline
        ([["Fredrik Persson/AP"], ["Jan Olsen"]], Credits(["Jan Olsen"], [])),
    ],
)
def test_credits(sources, credits):
    assert choose_authors(never_the_site, *sources) == credits


# AP's byline block, as a public repository's notes on AP pages save it (div.Page-byline with
# div.Page-authors "By&nbsp;<span class=Link>…" and div.Page-dateModified), here with the two
# names of the AP page.
AP_BYLINE = (
    '<div class="Page-byline"><div class="Page-byline-info"><div class="Page-authors">By&nbsp;'
    '<span class="Link">SAMYA KULLAB</span> and <span class="Link">VASILISA STEPANENKO</span></div>'
    '<div class="Page-dateModified"><bsp-timestamp data-timestamp="1760921515000"><span data-date="">'
    "Updated 7:51 PM CDT, October 19, 2025</span></bsp-timestamp></div></div></div>"
)


def test_an_ap_byline_names_both_writers():
    found = first_byline(lxml.html.document_fromstring(f"<html><body>{AP_BYLINE}</body></html>"))
    assert found is not None and found[1] == ["SAMYA KULLAB", "VASILISA STEPANENKO"]


def test_an_ap_update_time_does_not_date_the_page():
    from media_monitor.extraction.dates import printed_dates

    tree = lxml.html.document_fromstring(
        f'<html><body>{AP_BYLINE}<span class="Page-date">October 17, 2025</span></body></html>'
    )
    assert printed_dates(tree) == ["October 17, 2025"]
