"""A full-text query as people type it, made into one SQLite FTS5 accepts and that finds what
they meant. Datasette's search box (scraper/web/search.py) and `monitor export --query` use it.

- A query FTS5 reads as typed (words, "a phrase", prefix*, OR, NOT, NEAR, title:word) keeps its
  meaning. One it rejects (``Nagorno-Karabakh`` reads as a column filter, ``Russia's``, ``U.S.``
  and ``Karabakh:`` are syntax errors) is read again with each word quoted: a hyphenated word,
  an apostrophe or a colon become a phrase of the words FTS5 indexed (``"Nagorno-Karabakh"``
  matches "Nagorno Karabakh"); OR, AND and NOT between two words stay operators.
- FTS5's unicode61 tokenizer folds I to i, as in English; Azerbaijani and Turkish write the
  capital of ı as I (SÜLHMƏRAMLI is sülhməramlı). A word with I or ı is searched in both
  readings, so capitals find lower-case text and the reverse.
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading

SEARCHED_COLUMNS = ("title", "text")  # articles_fts's columns: a column filter names one of them
OPERATORS = ("AND", "OR", "NOT")
# A quoted phrase (with "" inside), or a run of anything else up to a space, a quote or a bracket.
_TOKEN = re.compile(r'"(?:[^"]|"")*"?\*?|[()]|[^\s"()]+')
_BAREWORD = re.compile(r"[\w\u0080-\U0010ffff]+", re.UNICODE)
_checkers = threading.local()


def _checker(columns: tuple[str, ...]) -> sqlite3.Connection:
    """An empty in-memory FTS5 table with ``columns``: FTS5 parses a query against it as against
    the real index (syntax, column names), without reading the database."""
    connections = getattr(_checkers, "connections", None)
    if connections is None:
        connections = _checkers.connections = {}
    if columns not in connections:
        connection = sqlite3.connect(":memory:", check_same_thread=False)
        connection.execute(f"create virtual table q using fts5({', '.join(columns)})")
        connections[columns] = connection
    return connections[columns]


def fts_error(query: str, columns: tuple[str, ...] = SEARCHED_COLUMNS) -> str | None:
    """What FTS5 says of ``query`` (``no such column: Karabakh``), or None when it reads it."""
    try:
        _checker(columns).execute("select count(*) from q where q match ?", [query]).fetchone()
    except sqlite3.OperationalError as exc:
        return str(exc)
    return None


def dotted_readings(word: str) -> list[str]:
    """``word`` as typed, and, when it holds I or ı, as Azerbaijani and Turkish read it (I is the
    capital of ı) and with ı written i (as FTS5 folds the capitals of a text): the readings FTS5
    tells apart, each once."""
    if "I" not in word and "ı" not in word:
        return [word]
    readings, seen = [], set()
    for reading in (word, word.replace("I", "ı").replace("İ", "i"), word.replace("ı", "i")):
        folded = reading.replace("I", "i").replace("İ", "i").lower()
        if folded not in seen:
            seen.add(folded)
            readings.append(reading)
    return readings


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _either(readings: list[str], star: str) -> str:
    terms = [_quote(r) + star for r in readings]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def _phrase_readings(token: str) -> str:
    """A quoted phrase (``"..."``, with an optional ``*``; an unterminated one runs to its
    end) in each of its dotted readings."""
    star = "*" if token.endswith("*") else ""
    inner = token[: len(token) - len(star)]
    body = inner[1:-1] if len(inner) >= 2 and inner.endswith('"') else inner[1:]
    return _either(dotted_readings(body.replace('""', '"')), star)


def _with_readings(query: str) -> str:
    """``query`` as typed, each bare word or phrase with I or ı in its dotted readings."""
    out = []
    for token in _TOKEN.findall(query):
        if token.startswith('"'):
            out.append(_phrase_readings(token) if ("I" in token or "ı" in token) else token)
            continue
        word, star = (token[:-1], "*") if token.endswith("*") else (token, "")
        if word in (*OPERATORS, "NEAR") or not _BAREWORD.fullmatch(word):
            out.append(token)
        else:
            readings = dotted_readings(word)
            out.append(token if len(readings) == 1 else _either(readings, star))
    return " ".join(out)


def _quoted_terms(query: str, columns: tuple[str, ...]) -> str:
    """``query`` with every word quoted: brackets dropped, OR/AND/NOT kept between two terms, a
    known column's filter (``title:word``) kept, a trailing ``*`` kept as a prefix search."""
    parts: list[str] = []
    for token in _TOKEN.findall(query):
        if token in "()":
            continue
        if token in OPERATORS:
            if parts and parts[-1] not in OPERATORS:
                parts.append(token)
            continue
        column, sep, rest = token.partition(":")
        prefix = f"{column} : " if sep and column in columns and rest else ""
        if prefix:
            token = rest
        if token.startswith('"'):
            term = _phrase_readings(token)
        else:
            word, star = (token[:-1], "*") if token.endswith("*") else (token, "")
            if not _BAREWORD.search(word):
                continue  # nothing FTS5 would index: punctuation alone
            term = _either(dotted_readings(word), star)
        parts.append(prefix + term)
    while parts and parts[-1] in OPERATORS:
        parts.pop()
    return " ".join(parts)


@functools.lru_cache(maxsize=1024)
def forgiving_query(query: str, columns: tuple[str, ...] = SEARCHED_COLUMNS) -> str:
    """An FTS5 query for what ``query`` asks: as typed when FTS5 reads it, else with its words
    quoted; words with I or ı in both their readings. Empty when nothing in it can be searched."""
    query = query.strip()
    if not query:
        return ""
    if fts_error(query, columns) is None:
        typed = _with_readings(query)
        return typed if fts_error(typed, columns) is None else query
    repaired = _quoted_terms(query, columns)
    if repaired and fts_error(repaired, columns) is None:
        return repaired
    # Operators in odd places (NOT first): every word a phrase of its own, nothing else.
    words = _quoted_terms(" ".join(t for t in _TOKEN.findall(query) if t not in OPERATORS), columns)
    return words if fts_error(words, columns) is None else ""
