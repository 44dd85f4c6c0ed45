"""Clean text and the keys that compare texts."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

# Control characters, and the invisible characters that split a word for search and
# comparison: the soft hyphen (a hyphenation hint: "Rück\u00adschlag"), zero-width space,
# non-joiner and joiner, word joiner, byte order mark.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b-\u200d\u2060\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
# An HTML tag of a text-level or block element, or a comment, left in a feed's or a page's
# text; "<숨바꼭질>" (a Korean title), "<config files>" or "a < b > c" are text.
_HTML_ELEMENTS = (
    "a|abbr|address|article|aside|b|blockquote|br|center|cite|code|dd|del|div|dl|dt|em|figcaption|"
    "figure|font|footer|h[1-6]|header|hr|i|iframe|img|ins|li|main|mark|nav|ol|p|picture|pre|q|s|"
    "script|section|small|source|span|strike|strong|style|sub|sup|table|tbody|td|tfoot|th|thead|"
    "time|tr|u|ul|video"
)
_TAGS = re.compile(rf"</?(?:{_HTML_ELEMENTS})(?:\s[^<>]*)?/?>|<!--.*?-->", re.DOTALL | re.IGNORECASE)
_LETTERS_AND_DIGITS = re.compile(r"[^\W_]+")  # a word without its underscores
_WORD = re.compile(r"\w+")


def clean_text(value: str | None) -> str:
    """Plain Unicode text: entities decoded, stray tags and control characters dropped,
    spaces collapsed, paragraphs kept one per line."""
    if not value:
        return ""
    text = html.unescape(_TAGS.sub(" ", value)) if "<" in value or "&" in value else value
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return _BLANK_LINES.sub("\n", "\n".join(line for line in lines if line)).strip()


# Paragraphs that are the page's furniture, not the article, in the languages the monitor
# reads and the common Western ones: "Read also: <link>", photo credits, "follow us",
# newsletter and paywall prompts, contact blocks, comment counters, a byline. Only a whole line that
# starts so (and is short) goes: an article may well say "read" or "photo" in a sentence.
_FURNITURE = re.compile(
    r"^(?:"
    r"(?:read|see) (?:also|more)\b|related(?: articles| stories)?:|more on this\b|"
    r"(?:à )?lire aussi|lesen sie (?:auch|mehr)|mehr zum thema|(?:le|te) puede interesar|"
    r"lea (?:también|además)|leia também|читайте (?:также|нас)|смотрите также|"
    r"həmçinin (?:oxuyun|bax)|oxu(?:yun)?:|կարդացեք նաև|նաև կարդացեք|"
    r"(?:photo|image|picture|foto|bild|titelbild|crédits? photos?|credits?|фото|şəkil|լուսանկար)s?"
    r"\s*(?:[:©]|\(|by\b)|image d'illustration|image illustrative|"
    r"follow us|síguenos|siguenos|suivez-nous|folgen sie uns|подписывайтесь|abunə olun|"
    r"subscribe (?:to|now|for)|sign up (?:for|to)|get the .{1,40} (?:newsletter|by email|daily edition)|"
    r"pour (?:lire|accéder)|to continue reading|чтобы продолжить|"
    r"(?:kontakt|contact|telefon|phone|tel\.|e-?mail|fax)\s*:|"
    r"(?:view|show|leave a|\d+) comments?\b|advertisement$|anzeige$|werbung$|реклама$|"
    r"share (?:this|on)\b|(?:weitere|mehr|more) info(?:rmationen|rmation|s)?(?:\s*:|\s*$|\s+(?:unter|at|auf|on)\s+\S+$)|"
    # a byline left in the text: the names belong in `authors`
    r"(?:by|von|par|por|от|автор:?)\s+(?:[^.!?]|(?<=\b[A-Z])\.){2,50}$"
    r")",
    re.IGNORECASE,
)
FURNITURE_MAX_CHARS = 200


def drop_furniture(text: str) -> str:
    """The text without lines that are page furniture (``_FURNITURE``)."""
    return "\n".join(line for line in text.split("\n") if len(line) > FURNITURE_MAX_CHARS or not _FURNITURE.match(line))


def clean_title(value: str | None) -> str:
    """A title on one line."""
    return " ".join(clean_text(value).split())


def fold(text: str) -> str:
    """Case- and form-insensitive spelling used for matching: NFKC and casefold, with the
    Turkic i's folded together ('İ', 'I', 'ı', 'i' -> 'i'): casefold knows no locale, so an
    upper-case Azerbaijani headline would otherwise miss its lower-case terms."""
    return unicodedata.normalize("NFKC", text).casefold().replace("\u0307", "").replace("ı", "i")


def comparison_key(text: str) -> str:
    """Words only, folded: two copies that differ in case, punctuation or spacing share it."""
    return " ".join(_LETTERS_AND_DIGITS.findall(fold(text)))


def content_hash(text: str) -> str | None:
    key = comparison_key(text)
    return hashlib.sha1(key.encode("utf-8")).hexdigest() if key else None


def word_count(text: str) -> int:
    return len(_WORD.findall(text))
