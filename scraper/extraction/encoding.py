"""A response's text when its charset is missing or wrong.

``response_text`` in named steps: the declared charset (``declared_charset``: HTTP header, BOM,
``<meta>``), checked against the body without its BOM (``wrong_charset``, with the strict UTF-8
check ``is_strict_utf8``); without one, ``undeclared_text``; when it is wrong, the encoding
detected (``detected_text``: UTF-8, single-byte Cyrillic, charset-normalizer).
"""

from __future__ import annotations

import codecs
import logging
import re
from typing import Any

from w3lib.encoding import resolve_encoding

from media_monitor import compat

logger = logging.getLogger(__name__)

_TAG_BYTES = re.compile(rb"<[^>]*>")
# Byte order marks, longest first (UTF-32's LE mark begins with UTF-16's).
_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Single-byte codecs (as ``codecs.lookup`` names them): declared for valid, non-ASCII UTF-8,
# they are taken for wrong.
_SINGLE_BYTE_CODEC = re.compile(r"(cp125\d|cp8\d\d|iso8859-\d+|latin-?1|koi8-[ru]|mac-)")
# UTF-16 and UTF-32: any ASCII markup in them has NUL bytes. ASCII or UTF-8 bytes of even length
# decode as UTF-16 without an error, into CJK-looking garbage.
_WIDE_CODEC = re.compile(r"utf-(16|32)")


def guess_single_byte_cyrillic(body: bytes) -> str | None:
    """'cp1251' or 'koi8_r' for undeclared Cyrillic bytes, None when the bytes are not that.

    Cyrillic text in a single-byte code is mostly bytes >= 0xC0 (letters); lower-case letters,
    the bulk of any text, are 0xE0-0xFF in windows-1251 and 0xC0-0xDF in KOI8-R.
    """
    text = _TAG_BYTES.sub(b" ", body)
    high = sum(1 for b in text if b >= 0xC0)
    ascii_letters = sum(1 for b in text if 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A)
    if high < 8 or high < ascii_letters:
        return None  # Latin text with some accented letters, or too little to tell
    upper_half = sum(1 for b in text if b >= 0xE0)
    return "cp1251" if upper_half * 2 > high else "koi8_r"


def declared_charset(response: Any) -> str | None:
    """The charset the response declares, as Scrapy reads it: the HTTP header's, a BOM's or a
    ``<meta>``'s; None when it declares none."""
    return compat.declared_encoding(response)


def without_bom(response: Any, body: bytes) -> bytes:
    """``body`` without its byte order mark, when Scrapy found one."""
    if compat.bom_encoding(response):
        for mark in _BOMS:
            if body.startswith(mark):
                return body[len(mark) :]
    return body


def is_strict_utf8(data: bytes) -> bool:
    """Do the bytes decode as UTF-8 without a single error?"""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def wrong_charset(response: Any, declared: str) -> str | None:
    """Why the declared charset is wrong for the body (it does not decode with it; or it is a
    single-byte one and the body is valid, non-ASCII UTF-8), None when it is right."""
    body = response.body
    codec = resolve_encoding(declared) or declared
    try:
        codec = codecs.lookup(codec).name
        without_bom(response, body).decode(codec)
    except (UnicodeDecodeError, LookupError):
        return f"does not decode as {declared}"
    if _SINGLE_BYTE_CODEC.match(codec) and not body.isascii() and is_strict_utf8(body):
        return f"is declared {declared} but is valid UTF-8"
    if _WIDE_CODEC.match(codec) and b"\x00" not in body:
        return f"is declared {declared} but has no NUL byte (its markup would have)"
    return None


def undeclared_text(response: Any) -> str:
    """The text of a response that declares no charset: UTF-8 when the body is strictly that,
    else windows-1251 or KOI8-R when the bytes are single-byte Cyrillic (logged), else Scrapy's."""
    body = response.body
    if is_strict_utf8(body):
        return body.decode("utf-8")
    guess = guess_single_byte_cyrillic(body)
    if not guess:
        return response.text
    logger.info("No charset declared: %s; read as %s", response.url, guess)
    return body.decode(guess, errors="replace")


def detected_text(response: Any) -> tuple[str, str]:
    """The body decoded with a detected encoding, and that encoding's name: UTF-8, else
    single-byte Cyrillic, else charset-normalizer's best guess, else Scrapy's text."""
    body = response.body
    if is_strict_utf8(body):
        return body.decode("utf-8"), "utf-8"
    guess = guess_single_byte_cyrillic(body)
    if guess:
        return body.decode(guess, errors="replace"), guess
    try:
        from charset_normalizer import from_bytes  # trafilatura's dependency
    except ImportError:  # pragma: no cover
        best = None
    else:
        best = from_bytes(body).best()
    if best is not None:
        return str(best), best.encoding
    return response.text, getattr(response, "encoding", None) or "unknown"


def response_text(response: Any) -> str:
    """``read_text``'s text."""
    return read_text(response)[0]


def read_text(response: Any) -> tuple[str, str | None]:
    """A Scrapy response's text, with a better guess than Scrapy's for an undeclared or wrongly
    declared encoding.

    A charset in the HTTP header, a BOM or a ``<meta>`` wins, as with ``response.text``, when
    the body decodes strictly with it. A declared charset the bytes do not decode with (UTF-8
    declared, windows-1251 sent) is a wrong one, and so is a single-byte charset declared for
    bytes that are valid, non-ASCII UTF-8: the encoding is then detected as for an undeclared
    one (logged). Without any, UTF-8 is tried, then windows-1251 against KOI8-R (Scrapy's
    detector can take a short KOI8-R page for Shift JIS); anything else is left to Scrapy.
    Returns the text and, when the declared charset was wrong, why (the spiders count those).
    Spiders call it in place of ``response.text``.
    """
    declared = declared_charset(response)
    if not declared:
        return undeclared_text(response), None
    reason = wrong_charset(response, declared)
    if reason is None:
        return response.text, None
    text, found = detected_text(response)
    logger.warning("Wrong charset: %s %s; read as %s", response.url, reason, found)
    return text, reason
