"""Could a listed entry be on the story? Asked before its page is fetched from an archive.

An archive's index of an outlet holds thousands of URLs for a window; a sitemap or a replayed
listing adds titles. The topic pipeline judges the fetched page, so this filter only spares
the fetches that cannot be on the story: an entry is skipped when its title, description or
URL slug names none of the topic's required concepts *and* it says enough to be judged.

What says too little is kept: a slug of fewer than three words (``/en/article/1135171``,
``world-europe-68832212``), a title as short, and a Latin-script slug or title of an outlet
that writes in another script (``mirotvortsy-pokinuli-karabah`` on ria.ru is a transliteration
the Russian terms cannot match). Losing an article costs more than one more fetch.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

from media_monitor.story.topic import Topic

MIN_WORDS_TO_JUDGE = 3
# Languages written in a script other than Latin: a Latin slug of theirs is a transliteration.
NON_LATIN_LANGUAGES = frozenset({"ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "hy", "ka", "el", "fa", "ar"})
_SLUG_SEPARATORS = re.compile(r"[-_+.,\s]+")
_FILE_EXTENSION = re.compile(r"\.[a-z0-9]{1,5}$", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def slug_words(url: str) -> tuple[str, ...]:
    """The words of a URL's slug: the path segment with the most words (the one after the
    section names), split on ``-`` and ``_``, without its file extension and without numbers,
    ids or dates (any token with a digit). Percent-encoded Cyrillic is decoded; a
    transliterated slug stays as it is."""
    path = unquote(urlsplit(url).path)
    best: list[str] = []
    for segment in path.split("/"):
        words = [
            token.lower()
            for token in _SLUG_SEPARATORS.split(_FILE_EXTENSION.sub("", segment))
            if token and not any(char.isdigit() for char in token)
        ]
        if words and len(words) >= len(best):
            best = words
    return tuple(best)


def could_be_on_topic(
    topic: Topic,
    *,
    title: str | None = None,
    description: str | None = None,
    url: str = "",
    language: str | None = None,
) -> bool:
    """Whether an entry may be on the story: False only when its text (title and description,
    or the URL's slug words when it has neither) is long enough to judge and names none of
    the required concepts (of any positive concept, when the topic requires none).

    ``language`` is the outlet's: with a script other than Latin, a Latin text is a
    transliteration and is kept unjudged.
    """
    text = " ".join(part.strip() for part in (title, description) if part and part.strip())
    if not text:
        text = " ".join(slug_words(url))
    if not _can_judge(text, language):
        return True
    wanted = [c.name for c in topic.concepts if c.required] or [c.name for c in topic.concepts if not c.negative]
    # The topic's own matching (its spelling folds, near groups), not a second copy of it.
    found = topic.match(text).found
    return any(name in found for name in wanted)


def _can_judge(text: str, language: str | None) -> bool:
    if len(_WORD.findall(text)) < MIN_WORDS_TO_JUDGE:
        return False
    return not (language in NON_LATIN_LANGUAGES and _is_latin(text))


def _is_latin(text: str) -> bool:
    return all("LATIN" in unicodedata.name(char, "") for char in text if char.isalpha())
