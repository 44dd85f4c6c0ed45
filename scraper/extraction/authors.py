"""Who wrote an article: names from structured data, metas, the extractor and the printed byline.

Each source gives raw strings; ``choose_authors`` takes the first source, in order of trust,
that names a person. Values stay as the page prints them (no case changes): the pipeline only
trims them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

import lxml.html
from lxml import etree

from media_monitor.extraction.agencies import agency
from media_monitor.extraction.pageparts import element_or_ancestor_matches

# What precedes a name in a byline: "By", "Written by:", "Posted on 21 May 2024 by", "Par",
# "Por", "Von", "От", "Автор:", "Müəllif:", "Հեղինակ՝", "View all posts by".
_BY = (
    r"by|von|par|por|di|door|от|автор|auteur|autor|author|texte|text|müəllif|müəllifi|"
    r"հեղինակ|written by|posted by|artikel von|view all posts by"
)
BYLINE_PREFIX = re.compile(rf"^(?:.{{0,40}}?\s)?(?:{_BY})\s*[:՝]?\s+", re.IGNORECASE)
_BY_ALONE = re.compile(rf"^(?:{_BY})\s*[:՝]?$", re.IGNORECASE)
# A credit for a picture, not for the text.
PHOTO_CREDIT = re.compile(r"^(?:foto|photo|bild|image|picture|фото|şəkil)s?\b", re.IGNORECASE)
# Where a byline's name ends: ", 21 juin 2018", " on May 2", " | 5 min read", " - 14:05".
# A date glued onto the name ends it too: "Jemima Kelly 05. November 2024", "Ann Lee May 5, 2024",
# and so does the label of a time after it: "Ann Lee Updated 7:51 PM".
NAME_END = re.compile(
    r",\s*\d|\s+(?:on|am|le|el)\s+\d|\s+[|•·]\s*|\s+[-–—]\s+|\s+\d{1,2}[./:]\d"
    r"|\s+\d{1,2}\.?\s+[^\W\d_]{3,12}\.?,?\s+\d{4}|\s+[^\W\d_]{3,9}\.?\s+\d{1,2},\s+\d{4}"
    r"|\s+(?:updated|published|aktualisiert|veröffentlicht|publié|mis à jour)\b",
    re.IGNORECASE,
)
# Between the names of a byline: "Ann Smith, Bob Jones and Carol White", "Felix Schröder und
# Jörg Soldwisch, dpa", "srf/hosb;kesm": commas, semicolons, slashes and the word for "and" in
# the outlets' languages (English, German, French, Norwegian and Danish, Swedish, Russian,
# Ukrainian, Armenian, Azerbaijani, Turkish, Spanish, Italian and Portuguese).
NAME_SEPARATOR = re.compile(r"\s*[,;]\s*|\s*/\s*|\s+(?:and|und|et|og|och|и|і|և|və|ve|y|e|&)\s+")
# Letters after a name that are not a name: "Grant Tinsley, PhD".
CREDENTIAL = re.compile(r"^(?:phd|ph\.d\.|md|m\.d\.|msc|ma|ba|jr\.?|sr\.?|dr\.?)$", re.IGNORECASE)
# Bylines that name nobody.
NOT_A_NAME = re.compile(
    r"^(?:admin|administrator|no author|unknown|editor|redaktion|staff|follow|share|comments?|"
    r"read more|more|posts?|posted|posted on|published|author|by|"
    # interface labels a byline's element may hold
    r"veröffentlicht|aktualisiert|themen? bearbeiten|thema folgen|folgen|teilen|mehr zum autor|"
    r"updated|share|publié|mis à jour|опубликовано|обновлено|"
    # agencies unnamed
    r"agencies|agency|agencias|agenturen|агентства)$",
    re.IGNORECASE,
)
# A handle rather than a name: "edilson.la.rosa", "the_pain".
HANDLE = re.compile(r"^[\w]+(?:[._][\w]+)+$")
# The author's URL slug, which some CMSs list beside the name: "emma-mackenzie".
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")
# An editor's initials in brackets, as German outlets sign: "(obe)", "(dpa/lno)" is an agency.
INITIALS_CODE = re.compile(r"\(\s*[a-zäöü]{2,5}\s*\)")
# A picture's credit: a photographer's full name joined to the agency by a bare slash,
# "Fredrik Persson/AP" (an editor's code and the agency are spaced or short: "dsw / DPA", "det/dpa").
PHOTO_CREDIT_SLASH = re.compile(r"^([^\W\d_][^/]*\s[^/\s][^/]*[^/\s])/([^/\s]+)$")
# Printed bylines: a rel=author link, itemprop=author, elements whose class says author,
# byline or credit, in page order; comments (which also have authors) and figures excluded.
_BYLINE_CLASS = re.compile(r"author|byline|auteur|autor|contributor|credit", re.IGNORECASE)
_BYLINE_TAGS = {"span", "div", "p", "a", "address", "li", "strong"}
# Where names are not the article's author: comments, a picture's credit (a figure), teasers
# of other articles, the page's footer ("Powered by WordPress"). A post's own footer
# ("post-footer") is where Blogger prints its byline.
_NOT_BYLINE = re.compile(r"comment|teaser|(?:^|\s)(?:site-|page-)?footer")
_NOT_BYLINE_TAGS = ("figure", "figcaption", "footer")
# An element that says only "By" (or "| By", "Posted by", "Von:", "Auteur"), the name being in
# the next element or in the element's first link: "<span>By</span> <span>Ann Smith</span>",
# "<address>By <a href=...>Ann Smith</a></address>", "<dt>Auteur</dt><dd>Ann Smith</dd>".
_VERB = r"(?:posted|written|submitted|erstellt|geschrieben|verfasst|gespeichert|publié|escrito|story|article|words)"
_LABEL = r"(?:by|von|par|por|от|автор|author|auteur|autor|müəllif|հեղինակ)"
_LONE_BY = re.compile(rf"^[|•·–—-]?\s*(?:{_VERB}\s+)?{_LABEL}\s*[:՝]?$", re.IGNORECASE)
# A whole element that is a byline whatever its class says: "Posted by Konstantin",
# "Auteur : Kossivi Tiassou". A plain "By …" is left to the classes and to the text's first
# lines, since a sentence may start with "By".
_PHRASE_BYLINE = re.compile(
    rf"^(?:{_VERB}\s+(?:by|von|par|por)|author|auteur|autor|автор|müəllif|հեղինակ)\s*[:՝]?\s+\S", re.IGNORECASE
)
_PHRASE_BYLINE_MAX_CHARS = 80
_LABEL_TAGS = _BYLINE_TAGS | {"dt", "b", "em"}
# What holds the name after "By " inside the same element: "By <a>Ann</a>", "von <b>Ann</b>".
_NAME_TAGS = {"a", "span", "strong", "b"}


def _byline_elements(tree: lxml.html.HtmlElement):
    for element in tree.iter(etree.Element):
        if (
            element.get("itemprop") == "author"
            or (element.tag == "a" and element.get("rel") == "author")
            or (element.tag in _BYLINE_TAGS and _BYLINE_CLASS.search(element.get("class") or ""))
        ):
            yield element
        elif element.tag in _LABEL_TAGS and element.text and (own := element.text.strip()):
            # stripped first: a run of indentation before "\s*" patterns is slow to reject
            if _LONE_BY.match(own):
                following = element.getnext() if len(element) == 0 else element[0]
                if following is not None and (len(element) == 0 or following.tag in _NAME_TAGS):
                    yield following
            elif len(element) == 0 and len(own) <= _PHRASE_BYLINE_MAX_CHARS and _PHRASE_BYLINE.match(own):
                yield element


def json_ld_names(value: Any, by_id: dict[str, dict]) -> list[str]:
    """Names in a JSON-LD author value: a string, a Person, a reference ``{"@id": ...}`` to a
    node elsewhere in the graph (as Yoast SEO writes them), or a list of these."""
    names = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and "name" not in item and item.get("@id") in by_id:
            item = by_id[item["@id"]]
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


def first_byline(tree: lxml.html.HtmlElement) -> tuple[lxml.html.HtmlElement, list[str]] | None:
    """The first byline element outside comments that names someone, and the names."""
    for tried, element in enumerate(_byline_elements(tree)):
        if tried == 20:
            break
        if element_or_ancestor_matches(element, _NOT_BYLINE_TAGS, _NOT_BYLINE):
            continue
        names = element.xpath('.//*[@itemprop="name"]')
        # the texts of its elements apart: a block's names do not run into the next block's
        # "Updated 7:51 PM" (AP's div.Page-authors, then div.Page-dateModified)
        text = " ".join(" ".join((names[0] if names else element).itertext()).split())
        found = byline_names(text) if len(text) <= 120 else []
        if not found and len(element):
            found = _card_name(element)
        if found:
            return element, found
    return None


def _card_name(card: lxml.html.HtmlElement) -> list[str]:
    """The name on an author card (picture, name, bio, "Follow"), which the picture's alt text
    repeats: ``<img alt="Ann Smith"> <h3><a>Ann Smith</a></h3> <p>Ann covers ...</p>``."""
    for alt in card.xpath(".//img/@alt"):
        alt = " ".join(alt.split())
        if alt and card.xpath(".//*[normalize-space(text()) = $alt]", alt=alt):
            return byline_names(alt)
    return []


def _strip_byline(raw: str) -> str | None:
    """A byline without what surrounds the names: "By ...", ", 21 juin 2018", "| 5 min read"."""
    text = " ".join(raw.split())
    if PHOTO_CREDIT.match(text) or _BY_ALONE.match(text):
        return None
    text = BYLINE_PREFIX.sub("", text, count=1)
    end = NAME_END.search(text)
    return (text[: end.start()] if end else text).strip(" ,;|-–—:")


def _is_name(name: str) -> bool:
    return bool(name) and not (
        "://" in name
        or "@" in name
        or ":" in name
        or NOT_A_NAME.match(name)
        or len(name) > 60
        or len(name.split()) > 6
        or not any(c.isalpha() for c in name)
        or _reads_as_prose(name)
    )


def _reads_as_prose(name: str) -> bool:
    """A phrase, not a name: most of its longer words in lower case ("View my full profile");
    particles such as "de la" or "van" are short."""
    words = [w for w in name.split() if len(w) >= 4 and w[0].isalpha()]
    return len(name.split()) >= 3 and sum(w[0].islower() for w in words) * 2 > len(words)


def clean_author(raw: str) -> str | None:
    """A name from a byline or a meta value; None when it names nobody."""
    name = _strip_byline(raw)
    return name if name and _is_name(name) else None


_TEXT_BYLINE = re.compile(rf"^(?:{_BY})\s*[:՝]?\s+\S", re.IGNORECASE)
TEXT_BYLINE_MAX_CHARS = 80


def text_byline(text: str) -> list[str]:
    """The names of a byline line at the top or the foot of an article's text ("Por Agencia
    EFE", "Written by: Julie Mollins"), where an extractor keeps what the page did not mark."""
    lines = text.split("\n")
    for line in (*lines[:6], *lines[-4:]):
        line = line.strip()
        if len(line) <= TEXT_BYLINE_MAX_CHARS and _TEXT_BYLINE.match(line):
            names = byline_names(line)
            if names:
                return names
    return []


def byline_names(text: str) -> list[str]:
    """The names a printed byline gives: "Posted by Ann Smith, Bob Jones and Carol White"."""
    names = _strip_byline(text)
    if not names:
        return []
    parts = [p.strip() for p in NAME_SEPARATOR.split(names) if not CREDENTIAL.match(p.strip())]
    # every part a name, or the line is a sentence that happens to start with "By"
    return parts if parts and all(_is_name(p) for p in parts) else []


def names_in(raw: str) -> list[str]:
    """The names one value of a structured source (JSON-LD, a meta, a selector) gives, split
    ("Felix Schröder und Jörg Soldwisch, dpa"); parts that name nobody dropped, and a
    picture's credit ("Fredrik Persson/AP") as a whole."""
    text = " ".join(raw.split())
    credit = PHOTO_CREDIT_SLASH.match(text)
    if "://" in text or (credit and agency(credit.group(2))):
        return []  # a profile's address, or a picture's credit
    names = _strip_byline(INITIALS_CODE.sub(" ", text))
    if not names:
        return []
    parts = (p.strip(" ,;|-–—:") for p in NAME_SEPARATOR.split(names))
    return [p for p in parts if p and not CREDENTIAL.match(p) and _is_name(p)]


def _spelled_out(handle: str, sources: tuple[list[str], ...]) -> str:
    """A handle's spelled-out form when another source prints the same letters with spaces."""
    letters = re.sub(r"[\W_]+", "", handle)
    for source in sources:
        for raw in source:
            name = clean_author(raw) if isinstance(raw, str) else None
            if not name or " " not in name:
                continue
            spelled = re.sub(r"[\W_]+", "", name)
            # the same letters in other cases; only spaces for dots or underscores ("ThE PaiN"
            # for "ThE_PaiN") say nothing the handle does not, and the page prints the handle
            if spelled.casefold() == letters.casefold() and spelled != letters:
                return name
    return handle


class Credits(NamedTuple):
    """Who an article credits: the people who wrote it, and the agencies it is from."""

    people: list[str]
    agencies: list[str]


def _repeats(slug: str, names: list[str]) -> bool:
    letters = slug.replace("-", "")
    return any(re.sub(r"[\W_]+", "", name).casefold() == letters for name in names)


def choose_authors(names_site: Callable[[str], bool], *sources: list[str] | Callable[[], list[str]]) -> Credits:
    """The people of the first source that names a person, cleaned, without repeats; and the
    agencies the sources read up to it credit (AP, Reuters, dpa …: ``agencies.agency``).

    The site's own name (an organisation the CMS sets as the author) gives way to a person
    named by a later source, and is returned only when no source names anyone else. A source
    may be a function, called only when it is reached (or a handle needs spelling out): the
    costly ones go last. An author's URL slug beside the name it spells is dropped.
    """
    resolved: list[list[str] | None] = [None] * len(sources)

    def source(index: int) -> list[str]:
        names = resolved[index]
        if names is None:
            given = sources[index]
            names = resolved[index] = given() if callable(given) else given
        return names

    site_author = None
    agencies: list[str] = []
    for index in range(len(sources)):
        names: list[str] = []
        for raw in source(index):
            whole = clean_author(raw) if isinstance(raw, str) else None
            if whole and names_site(whole):  # "Jobs & Hire": the site's name, not two names
                site_author = site_author or whole
                continue
            for name in names_in(raw) if isinstance(raw, str) else []:
                if name in names:
                    continue
                if short := agency(name):
                    agencies += [short] if short not in agencies else []
                    continue
                if names_site(name):
                    site_author = site_author or name
                    continue
                if HANDLE.match(name):
                    name = _spelled_out(name, tuple(source(i) for i in range(len(sources))))
                names.append(name)
        names = [n for n in names if not (SLUG.match(n) and _repeats(n, names))]
        if names:
            return Credits(names, agencies)
    return Credits([site_author] if site_author and not agencies else [], agencies)
