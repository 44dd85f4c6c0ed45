"""Language of an article, with the evidence langdetect cannot see.

langdetect has no Armenian or Azerbaijani profile: it calls Armenian text Estonian and
Azerbaijani text Turkish. Scripts and letters settle those cases before any statistics, and
the page's declared language or the outlet's settle the texts langdetect is unsure of.
``language_source`` records which evidence won: script, letters, langdetect, declared, outlet.
"""

from __future__ import annotations

import re
import unicodedata

from langdetect import DetectorFactory, LangDetectException, detect_langs

DetectorFactory.seed = 0  # langdetect samples randomly; a fixed seed makes results repeat.

# Scripts used by one language only.
SCRIPT_LANGUAGES = {"ARMENIAN": "hy", "GEORGIAN": "ka"}
# Letters of Azerbaijani Latin that Turkish does not use: ə always, q and x in native words
# (Qarabağ, xəbər, yaxşı); Turkish writes k and h there.
AZERBAIJANI_LETTERS = re.compile(r"[əƏ]")
AZERBAIJANI_QX = re.compile(r"[qxQX]")
# Cyrillic letters of Ukrainian that Russian lacks, and of Russian that Ukrainian lacks.
UKRAINIAN_LETTERS = re.compile(r"[іїєґІЇЄҐ]")
RUSSIAN_LETTERS = re.compile(r"[ыэёъЫЭЁЪ]")
CYRILLIC_CODES = {"ru", "uk", "bg", "mk", "sr", "be"}
# How sure langdetect must be before it overrides what the page declares.
CONFIDENT = 0.90
MIN_LETTERS = 20
SAMPLE_CHARS = 3000
# langdetect's cost grows with its input (it extracts every n-gram before sampling them) while
# its answer settles within a few hundred letters: it reads the first LANGDETECT_CHARS of the
# sample, cut at a space. Script and letter checks still read the whole sample.
LANGDETECT_CHARS = 1000


def declared_code(tag: str | None) -> str | None:
    """'hy-AM' -> 'hy', 'az_Latn_AZ' -> 'az', 'ru' -> 'ru'; None for anything else."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2}", primary) else None


def _script_language(letters: str) -> str | None:
    if letters.isascii():  # Latin letters only: no single-language script
        return None
    counts: dict[str, int] = {}
    for char in letters:
        script = unicodedata.name(char, "").split(" ", 1)[0]
        counts[script] = counts.get(script, 0) + 1
    for script, language in SCRIPT_LANGUAGES.items():
        if counts.get(script, 0) * 2 > len(letters):
            return language
    return None


def _langdetect_sample(sample: str) -> str:
    if len(sample) <= LANGDETECT_CHARS:
        return sample
    cut = sample.rfind(" ", LANGDETECT_CHARS // 2, LANGDETECT_CHARS)
    return sample[:cut if cut > 0 else LANGDETECT_CHARS]


def detect_language(
    text: str, declared: str | None = None, outlet_language: str | None = None
) -> tuple[str | None, str]:
    """Return ``(ISO 639-1 code, language_source)`` for ``text``."""
    declared = declared_code(declared)
    sample = (text or "")[:SAMPLE_CHARS]
    letters = [c for c in sample if c.isalpha()]
    fallback = (declared, "declared") if declared else (outlet_language, "outlet")
    if len(letters) < MIN_LETTERS:
        return fallback

    by_script = _script_language("".join(letters))
    if by_script:
        return by_script, "script"

    try:
        guesses = detect_langs(_langdetect_sample(sample))
    except LangDetectException:
        return fallback
    best = guesses[0]
    code = best.lang.split("-")[0]  # zh-cn -> zh

    if code in CYRILLIC_CODES:
        # langdetect confuses the East Slavic pair (and Bulgarian) on short texts; their
        # alphabets differ by a few letters.
        ukrainian, russian = len(UKRAINIAN_LETTERS.findall(sample)), len(RUSSIAN_LETTERS.findall(sample))
        if ukrainian and not russian and code != "uk":
            return "uk", "letters"
        if russian and not ukrainian and code in ("uk", "bg", "mk"):
            return "ru", "letters"
        if code == "bg" and not ukrainian and "ъ" not in sample.lower():
            return "ru", "letters"  # Bulgarian writes ъ in most sentences, Russian rarely
    if code in ("tr", "az") or AZERBAIJANI_LETTERS.search(sample):
        if AZERBAIJANI_LETTERS.search(sample):
            return "az", "letters"  # Turkish never writes ə
        if code == "tr" and len(AZERBAIJANI_QX.findall(sample)) >= 2:
            return "az", "letters"
        if "az" in (declared, outlet_language) and code == "tr":
            return ("az", "declared") if declared == "az" else ("az", "outlet")
    if best.prob < CONFIDENT and fallback[0]:
        return fallback
    return code, "langdetect"
