"""Language of an article, with the evidence langdetect cannot see.

langdetect has no Armenian or Azerbaijani profile: it calls Armenian text Estonian and
Azerbaijani text Turkish. Scripts and letters settle those cases before any statistics; the
page's declared language wins when langdetect has no profile of it (Icelandic, Zulu, Xhosa …),
and the declared language or the outlet's settle the texts langdetect is unsure of.
``language_source`` records which evidence won: script, letters, langdetect, declared, outlet.
"""

from __future__ import annotations

import re
import sys
from functools import cache, lru_cache

import numpy as np
from langdetect import DetectorFactory, LangDetectException

from media_monitor import compat

DetectorFactory.seed = 0  # langdetect samples randomly; a fixed seed makes results repeat.

# Letters of scripts used by one language only (exactly the letters whose Unicode name starts
# with ARMENIAN or GEORGIAN; a regex counts them at C speed).
SCRIPT_LANGUAGES = {
    "hy": re.compile(r"[\u0531-\u0588\ufb13-\ufb17]"),
    "ka": re.compile(r"[\u10a0-\u10fb\u10fd-\u10ff\u1c90-\u1cbf\u2d00-\u2d2f]"),
}
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
# sample, cut at a space. Script and letter checks still read the whole sample. A text that
# long gives each of langdetect's random trials plenty of n-grams, so LONG_TEXT_TRIALS of them
# (not its 7) settle it: on 201 real article texts and tests/data/languages.tsv, 500 characters
# and 3 trials give the answers 1,000 characters and 7 trials gave (but on one mojibake page).
# Shorter texts (headlines) keep all 7 trials.
LANGDETECT_CHARS = 500
LONG_TEXT_TRIALS = 3


def declared_code(tag: str | None) -> str | None:
    """'hy-AM' -> 'hy', 'az_Latn_AZ' -> 'az', 'ru' -> 'ru'; None for anything else."""
    if not tag:
        return None
    primary = re.split(r"[-_]", tag.strip().lower(), maxsplit=1)[0]
    return primary if re.fullmatch(r"[a-z]{2}", primary) else None


# Languages decided by their letters before langdetect's statistics (see detect_language), and
# Norwegian's written standards, which langdetect's "no" covers.
DECIDED_BY_LETTERS = {"hy", "ka", "az", "uk", "ru"}
NORWEGIAN = {"nb", "nn"}


@cache
def _detectable() -> frozenset[str]:
    """The languages (ISO 639-1) langdetect has a profile of, or that the letter rules decide."""
    known = {code.split("-")[0] for code in compat.langdetect_languages(_factory())}
    return frozenset(known | DECIDED_BY_LETTERS | (NORWEGIAN if "no" in known else set()))


def _script_language(letters: str) -> str | None:
    for language, script in SCRIPT_LANGUAGES.items():
        if len(script.findall(letters)) * 2 > len(letters):
            return language
    return None


@cache
def _factory() -> DetectorFactory:
    return compat.langdetect_factory()  # ~0.5 s, once per process


def load_language_profiles() -> None:
    """Load langdetect's profiles now (~0.5 s) rather than at the first text."""
    _factory()


class _NormalisedLetters(dict):
    """langdetect's per-letter normalisation (``compat.normalise_letter``) as a ``str.translate``
    table, filled as letters are met."""

    def __missing__(self, code: int) -> str:
        self[code] = compat.normalise_letter(chr(code))
        return self[code]


_NORMALISED = _NormalisedLetters()


@lru_cache(maxsize=20_000)  # the n-grams met most; at most ~11 MB (the profiles hold 87,598)
def _gram_probs(gram: str) -> np.ndarray | None:
    """An n-gram's probabilities in each language, as an array."""
    probs = compat.ngram_probabilities(_factory()).get(gram)
    return None if probs is None else np.array(probs)


class _Detector(compat.LangdetectDetector):
    """langdetect's detector, its two inner loops written for speed, its arithmetic unchanged.

    langdetect feeds its text through ``NGram.add_char`` one letter at a time (normalising
    each with a Unicode-block search), then, for each n-gram its random trials draw, updates
    55 probabilities in a Python loop: together most of its cost on an article. Here the
    n-grams come a word at a time (the very same n-grams in the same order) and each update
    is one numpy operation doing the same float arithmetic element by element, summed in the
    same order, so the trials, the probabilities and the answers are langdetect's own
    (``tests/test_language.py`` compares them with langdetect's).
    """

    def init_probability(self) -> np.ndarray:
        return np.array(super().init_probability())

    def update_lang_prob(self, prob: np.ndarray, word: str, alpha: float) -> bool:
        gram_probs = _gram_probs(word)
        if gram_probs is None:
            return False
        prob *= alpha / self.BASE_FREQ + gram_probs
        return True

    def normalize_prob(self, prob: np.ndarray) -> float:
        prob /= sum(prob.tolist())  # summed left to right, as langdetect sums its list
        return max(0.0, float(prob.max()))

    def extract_ngrams(self) -> list[str]:
        words = self.text.translate(_NORMALISED).split(" ")
        last = len(words) - 1
        found: list[str] = []
        for index, word in enumerate(words):
            if word:  # a run of spaces: langdetect resets and emits nothing
                found += _word_ngrams(word, index < last)
        return found


# Words recur across articles: most are looked up here, not cut again. 20,000 words take
# ~8 MB (each n-gram is interned: there are at most the profiles' 87,598 of them).
@lru_cache(maxsize=20_000)
def _word_ngrams(word: str, spaced: bool) -> tuple[str, ...]:
    """The known n-grams langdetect reads in a word: the word is read after a space, and with
    the space that ends it when ``spaced``."""
    known = compat.ngram_probabilities(_factory())
    chars = f" {word} " if spaced else f" {word}"
    found = []
    for end in range(1, len(chars)):
        if chars[end].isupper() and chars[end - 1].isupper():
            continue  # langdetect skips the inside of a word in capitals
        for n in (1, 2, 3):
            if n > end + 1:
                break
            gram = chars[end + 1 - n : end + 1]
            if gram != " " and gram in known:
                found.append(sys.intern(gram))
    return tuple(found)


def _detect_langs(sample: str) -> list:
    """langdetect's guesses, best first, on at most LANGDETECT_CHARS of ``sample``."""
    detector = _Detector(_factory())
    if len(sample) > LANGDETECT_CHARS:
        cut = sample.rfind(" ", LANGDETECT_CHARS // 2, LANGDETECT_CHARS)
        sample = sample[: cut if cut > 0 else LANGDETECT_CHARS]
        compat.set_trials(detector, LONG_TEXT_TRIALS)
    detector.append(sample)
    return detector.get_probabilities()


def detect_language(
    text: str, declared: str | None = None, outlet_language: str | None = None
) -> tuple[str | None, str]:
    """Return ``(ISO 639-1 code, language_source)`` for ``text``."""
    declared = declared_code(declared)
    sample = (text or "")[:SAMPLE_CHARS]
    letters = "".join(filter(str.isalpha, sample))
    fallback = (declared, "declared") if declared else (outlet_language, "outlet")
    if len(letters) < MIN_LETTERS:
        return fallback

    by_script = _script_language(letters)
    if by_script:
        return by_script, "script"
    if declared and declared not in _detectable():
        # langdetect would answer with a language it knows (Icelandic as Norwegian, Zulu as
        # Swahili …): the page's own declaration is the better evidence.
        return declared, "declared"

    try:
        guesses = _detect_langs(sample)
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
