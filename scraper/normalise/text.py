"""Clean text and the keys that compare texts."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_TAGS = re.compile(r"<[^>]+>")
_NOT_WORD = re.compile(r"[\W_]+")
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
    return " ".join(_NOT_WORD.sub(" ", fold(text)).split())


def content_hash(text: str) -> str | None:
    key = comparison_key(text)
    return hashlib.sha1(key.encode("utf-8")).hexdigest() if key else None


def word_count(text: str) -> int:
    return len(_WORD.findall(text))
