"""A response's text when its charset is missing or wrong."""

from __future__ import annotations

import codecs
import logging
import re
from typing import Any

from w3lib.encoding import resolve_encoding

logger = logging.getLogger(__name__)

_TAG_BYTES = re.compile(rb"<[^>]*>")


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


def response_text(response: Any) -> str:
    """A Scrapy response's text, with a better guess than Scrapy's for an undeclared or wrongly
    declared encoding.

    A charset in the HTTP header, a BOM or a ``<meta>`` wins, as with ``response.text``, when
    the body decodes strictly with it. A declared charset the bytes do not decode with (UTF-8
    declared, windows-1251 sent) is a wrong one, and so is a single-byte charset declared for
    bytes that are valid, non-ASCII UTF-8: the encoding is then detected as for an undeclared
    one (logged). Without any, UTF-8 is tried, then windows-1251 against KOI8-R (Scrapy's
    detector can take a short KOI8-R page for Shift JIS); anything else is left to Scrapy.
    Spiders call it in place of ``response.text``:
    ``extract_page(response_text(response), response.url)``.
    """

    def strict_utf8(data: bytes) -> bool:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    def detected(data: bytes) -> tuple[str, str]:
        """The body decoded with a detected encoding, and that encoding's name."""
        if strict_utf8(data):
            return data.decode("utf-8"), "utf-8"
        guess = guess_single_byte_cyrillic(data)
        if guess:
            return data.decode(guess, errors="replace"), guess
        try:
            from charset_normalizer import from_bytes  # trafilatura's dependency
        except ImportError:  # pragma: no cover
            best = None
        else:
            best = from_bytes(data).best()
        if best is not None:
            return str(best), best.encoding
        return response.text, getattr(response, "encoding", None) or "unknown"

    body = response.body
    declared = getattr(response, "_declared_encoding", lambda: None)()
    if not declared:
        if strict_utf8(body):
            return body.decode("utf-8")
        guess = guess_single_byte_cyrillic(body)
        if not guess:
            return response.text
        logger.info("No charset declared: %s; read as %s", response.url, guess)
        return body.decode(guess, errors="replace")
    codec = resolve_encoding(declared) or declared
    try:
        codec = codecs.lookup(codec).name
        payload = body
        if getattr(response, "_bom_encoding", lambda: None)():
            for mark in (
                codecs.BOM_UTF32_LE,
                codecs.BOM_UTF32_BE,
                codecs.BOM_UTF8,
                codecs.BOM_UTF16_LE,
                codecs.BOM_UTF16_BE,
            ):
                if payload.startswith(mark):
                    payload = payload[len(mark) :]
                    break
        payload.decode(codec)
    except (UnicodeDecodeError, LookupError):
        reason = f"does not decode as {declared}"
    else:
        single_byte = re.match(r"(cp125\d|cp8\d\d|iso8859-\d+|latin-?1|koi8-[ru]|mac-)", codec)
        if not (single_byte and not body.isascii() and strict_utf8(body)):
            return response.text
        reason = f"is declared {declared} but is valid UTF-8"
    text, found = detected(body)
    logger.warning("Wrong charset: %s %s; read as %s", response.url, reason, found)
    return text
