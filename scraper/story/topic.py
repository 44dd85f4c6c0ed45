"""Is an article on the story? A topic is a TOML file of multilingual terms grouped in concepts.

A concept is found in an article through any of its alternatives:

- a *term* (``[concept.terms]``): a word or phrase; a term ending in ``*`` matches any word
  starting with it, which covers inflections (миротвор* → миротворцы, миротворческого);
- a *near* group (``[[concept.near]]``): words too broad alone ("left", "troops") that say the
  concept only together, one word of each group within ``within`` words of each other in one
  sentence (``within = "sentence"``: anywhere in it). A group may name another concept as
  ``"@name"`` ("left" within 6 words of wherever ``force`` was found), which is resolved first.

The relevance is the summed weight of the positive concepts found, less the weight of each
*negative* concept (a look-alike story: UN missions, Russian troops elsewhere) that is found —
and, with ``instead_of``, mentioned more often than the concept it stands in for. An article is
on topic when it has every required concept and reaches ``threshold``; below that, from
``borderline`` up, it is kept apart for review; below ``borderline`` it is off topic. Every
decision comes with ``matched_terms`` (``concept: term``) and a one-line ``reason``.

Matching is case- and form-insensitive (``text.fold``, plus ё/е, Arabic-script letter variants,
Armenian in-word marks); an Arabic-script term also matches after the proclitics و ف ب ك ل and
the article ال, an Armenian one after the verb prefixes կ- and չ-, which these scripts write onto
the word.
"""

from __future__ import annotations

import functools
import os
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from media_monitor.config import CONFIG_DIR
from media_monitor.config.files import read_text, read_toml
from media_monitor.normalise.text import fold

DEFAULT_TOPIC = CONFIG_DIR / "topics" / "karabakh_peacekeepers.toml"
ON_TOPIC, BORDERLINE, OFF_TOPIC = "on_topic", "borderline", "off_topic"


class TopicError(ValueError):
    """The topic file cannot be used."""


# -- spelling ---------------------------------------------------------------------------------
_SPELLING = str.maketrans(
    {
        "ё": "е",  # Russian prints it or not
        "\u2019": "'",  # a typographic apostrophe: Karabağ’dan, centre d’observation
        "\u200c": None,  # zero-width non-joiner: Persian writes it inside words (قره‌باغ)
        "\u200d": None,
        "\u0640": None,  # Arabic tatweel (a stretching stroke)
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ي": "ی",  # Arabic and Persian yeh and kaf, alif maqsura
        "ى": "ی",
        "ك": "ک",
        "ة": "ه",
        "\u055b": None,  # Armenian emphasis, exclamation and question marks sit inside words
        "\u055c": None,
        "\u055e": None,
    }
)
_ARABIC_MARKS = re.compile(r"[\u064b-\u065f\u0670]")  # short vowels, shadda, sukun
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
# What a script writes onto the front of a word: a term also matches after it.
_HEADS = (
    # و/ف (and), then ب/ك/ل (with, as, for) and ال (the); ل + ال is لل. The term's own ال is dropped.
    (_ARABIC_SCRIPT, "(?:[وف]?(?:[بک]?ال|لل|[بکل]))?", "ال"),
    # the future and conditional կ- and the negative չ- of Armenian verbs: կհեռանան, չհեռացան
    (re.compile(r"[\u0531-\u058f]"), "[կչ]?", ""),
)


def fold_for_topic(text: str) -> str:
    """The spelling terms and texts are compared in."""
    folded = fold(text).translate(_SPELLING)
    return _ARABIC_MARKS.sub("", folded) if _ARABIC_SCRIPT.search(folded) else folded


_PREFIX, _WORD_END, _WORD_START = r"\w*", r"(?!\w)", r"(?<!\w)"


@dataclass(frozen=True)
class Terms:
    """Terms as one pattern that matches from a word's start: a trailing ``*`` any ending, else
    the whole word; an Arabic-script or Armenian term also after what its script writes onto
    the front of a word (``_HEADS``)."""

    by_head: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # (head, ((folded literal, ending), …))

    @classmethod
    def compile(cls, terms: Iterable[str]) -> Terms:
        by_head: dict[str, list[tuple[str, str]]] = {}
        for term in dict.fromkeys(terms):
            folded = fold_for_topic(term.strip())
            literal, ending = (folded[:-1], _PREFIX) if folded.endswith("*") else (folded, _WORD_END)
            head, own = next(((h, own) for script, h, own in _HEADS if script.match(literal)), ("", ""))
            by_head.setdefault(head, []).append((literal.removeprefix(own) if own else literal, ending))
        return cls(tuple((head, tuple(pairs)) for head, pairs in by_head.items()))

    @classmethod
    def merge(cls, many: Iterable[Terms]) -> Terms:
        by_head: dict[str, list[tuple[str, str]]] = {}
        for terms in many:
            for head, pairs in terms.by_head:
                by_head.setdefault(head, []).extend(pairs)
        return cls(tuple((head, tuple(pairs)) for head, pairs in by_head.items()))

    @property
    def body(self) -> str:
        """The pattern without its word-start check."""
        return "|".join(head + _trie_regex(pairs) for head, pairs in self.by_head)

    @functools.cached_property
    def pattern(self) -> re.Pattern:
        return re.compile(f"{_WORD_START}(?:{self.body})")


def _trie_regex(terms: Iterable[tuple[str, str]]) -> str:
    """One pattern for (literal, ending) pairs, branching on shared beginnings: Python's
    regular expressions try an alternation's branches one by one, and a topic has hundreds of
    terms; a trie rejects a word after its first letters (~10x faster on article texts)."""
    trie: dict = {}
    for literal, ending in terms:
        node = trie
        for char in literal:
            node = node.setdefault(char, {})
        node.setdefault("", set()).add(ending)
    return _render(trie)


def _render(node: dict) -> str:
    branches = [re.escape(char) + _render(child) for char, child in sorted(node.items()) if char]
    endings = node.get("", set())
    if endings:  # after the longer branches: the longest spelling of a word is the one reported
        branches.append(_PREFIX if _PREFIX in endings else _WORD_END)
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


# -- the model --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Near:
    """Words that say a concept only together: a word of each group within ``within`` words of
    a word of the first, in one sentence (``within`` None: anywhere in the sentence). A group
    is a pattern of terms and/or the names of concepts (``@name``) whose finds count as words."""

    groups: tuple[tuple[Terms | None, tuple[str, ...]], ...]
    within: int | None

    @property
    def references(self) -> set[str]:
        return {name for _, names in self.groups for name in names}


@dataclass(frozen=True)
class Concept:
    name: str
    weight: float
    required: bool
    terms: Terms | None  # None when only near groups say it
    near: tuple[Near, ...] = ()
    negative: bool = False  # a look-alike: its weight is taken off the relevance
    instead_of: str | None = None  # a negative counts only when it outnumbers this concept


@dataclass(frozen=True)
class TopicMatch:
    relevance: float
    matched_terms: list[str]  # "concept: term", concepts in the file's order
    on_topic: bool
    status: str = OFF_TOPIC  # on_topic | borderline | off_topic
    reason: str = ""
    found: dict[str, int] = field(default_factory=dict)  # concept name -> mentions


@dataclass(frozen=True)
class _Hit:
    start: int  # word positions in the text, first and last
    end: int
    sentence: int
    surface: str


class _Text:
    """A folded text with its word positions, sentences and the places where any term of the
    topic starts: each concept's or group's terms are then tried there only, not along the
    whole text (one scan instead of one a group: ~5x faster)."""

    _WORD = re.compile(r"\w+")
    _SENTENCE_END = re.compile(r"[.!?؟։]+(?=\s)|\n")

    def __init__(self, raw: str, starts: re.Pattern):
        self.folded = fold_for_topic(raw)
        self._word_starts = [m.start() for m in self._WORD.finditer(self.folded)]
        self._sentence_ends = [m.end() for m in self._SENTENCE_END.finditer(self.folded)]
        self._term_starts = [m.start() for m in starts.finditer(self.folded)]

    def hits(self, terms: Terms) -> list[_Hit]:
        found: list[_Hit] = []
        reached = 0
        for position in self._term_starts:
            m = terms.pattern.match(self.folded, position) if position >= reached else None
            if m:  # as finditer would: none inside the one before ("observation posts", "posts")
                reached = m.end()
                first, last = bisect_right(self._word_starts, m.start()), bisect_right(self._word_starts, m.end() - 1)
                found.append(_Hit(first, last, bisect_right(self._sentence_ends, m.start()), m.group(0)))
        return found


def _near_hits(near: Near, text: _Text, found: dict[str, list[_Hit]]) -> list[_Hit]:
    """Where every group of ``near`` has a word close enough to a word of its first group."""
    groups = []
    for terms, names in near.groups:
        group = [h for name in names for h in found.get(name, [])] + (text.hits(terms) if terms else [])
        if not group:
            return []  # a group with no word: no need to look for the others
        groups.append(group)
    hits = []
    for anchor in groups[0]:
        partners = [p for group in groups[1:] if (p := _closest(anchor, group, near.within))]
        if len(partners) == len(groups) - 1:
            together = sorted([anchor, *partners], key=lambda h: h.start)
            words = dict.fromkeys(w for h in together for w in h.surface.split(" ~ "))  # "Russia exits" once
            hits.append(_Hit(together[0].start, together[-1].end, anchor.sentence, " ~ ".join(words)))
    return hits


def _closest(anchor: _Hit, group: list[_Hit], within: int | None) -> _Hit | None:
    distances = [
        (max(hit.start - anchor.end, anchor.start - hit.end, 0), hit)
        for hit in group
        if hit.sentence == anchor.sentence
    ]
    close = [(d, hit) for d, hit in distances if within is None or d <= within]
    return min(close, key=lambda pair: pair[0])[1] if close else None


@dataclass(frozen=True)
class Topic:
    name: str
    title: str
    threshold: float
    concepts: tuple[Concept, ...]  # in the file's order, a concept named by a near group first
    gdelt_queries: tuple[str, ...] = ()  # GDELT DOC API queries that discover the story
    borderline: float | None = None  # the review band's lower bound; None: no band

    @functools.cached_property
    def _term_starts(self) -> re.Pattern:
        """Where any term of the topic starts (a lookahead: terms may overlap)."""
        every = [concept.terms for concept in self.concepts if concept.terms]
        every += [terms for concept in self.concepts for near in concept.near for terms, _ in near.groups if terms]
        return re.compile(f"{_WORD_START}(?=(?:{Terms.merge(every).body}))")

    def match(self, *texts: str) -> TopicMatch:
        """Score the given texts (title, description, body, …) together."""
        text = _Text("\n".join(t for t in texts if t), self._term_starts)
        found: dict[str, list[_Hit]] = {}
        for concept in self.concepts:
            hits = text.hits(concept.terms) if concept.terms else []
            for near in concept.near:
                hits += _near_hits(near, text, found)
            if hits:
                found[concept.name] = hits
        return self._decide(found)

    def mentioned(self, text: str) -> list[str]:
        """The positive concepts ``text`` alone mentions (a short page's own evidence)."""
        found = self.match(text).found
        return [c.name for c in self.concepts if not c.negative and c.name in found]

    def _decide(self, found: dict[str, list[_Hit]]) -> TopicMatch:
        counts = {name: len({(h.start, h.end) for h in hits}) for name, hits in found.items()}
        relevance = 0.0
        notes: list[str] = []
        for concept in self.concepts:
            if concept.name not in counts:
                continue
            if not concept.negative:
                relevance += concept.weight
            elif concept.instead_of is None or counts[concept.name] > counts.get(concept.instead_of, 0):
                relevance -= concept.weight
                notes.append(_penalty_note(concept, counts))
        relevance = round(max(relevance, 0.0), 3)
        missing = [c.name for c in self.concepts if c.required and c.name not in counts]
        status = self._status(relevance, missing)
        matched = [f"{c.name}: {s}" for c in self.concepts for s in sorted({h.surface for h in found.get(c.name, [])})]
        reason = self._reason(status, relevance, found, missing, notes)
        return TopicMatch(relevance, matched, status == ON_TOPIC, status, reason, counts)

    def _status(self, relevance: float, missing: list[str]) -> str:
        if not missing and relevance >= self.threshold:
            return ON_TOPIC
        if self.borderline is not None and relevance >= self.borderline:
            return BORDERLINE
        return OFF_TOPIC

    def _reason(
        self, status: str, relevance: float, found: dict[str, list[_Hit]], missing: list[str], notes: list[str]
    ) -> str:
        if status == ON_TOPIC:
            verdict = f"on topic: {relevance:g} ≥ {self.threshold:g}"
        elif status == BORDERLINE:
            verdict = f"borderline: {relevance:g}, between {self.borderline:g} and {self.threshold:g}"
        else:
            verdict = f"off topic: {relevance:g}" + (f" < {self.borderline:g}" if self.borderline is not None else "")
        evidence = [
            f"{c.name} ({', '.join(sorted({h.surface for h in found[c.name]})[:3])})"
            for c in self.concepts
            if not c.negative and c.name in found
        ]
        parts = [verdict, "; ".join(evidence) or "no concept found"]
        absent = [c.name for c in self.concepts if not c.negative and c.name not in found and c.name not in missing]
        if missing or absent:
            parts.append("not found: " + ", ".join([f"{name} (required)" for name in missing] + absent))
        return " — ".join(parts + notes)


def _penalty_note(concept: Concept, counts: dict[str, int]) -> str:
    against = f" > {concept.instead_of} ×{counts.get(concept.instead_of, 0)}" if concept.instead_of else ""
    return f"−{concept.weight:g} {concept.name} ×{counts[concept.name]}{against}"


# -- the file ---------------------------------------------------------------------------------
TOPIC_KEYS = {"name", "title", "description", "threshold", "borderline", "concept", "gdelt"}
CONCEPT_KEYS = {"name", "weight", "required", "terms", "near", "negative", "instead_of"}
NEAR_KEYS = {"within", "terms"}


def _unknown(table: dict, known: set[str], where: str) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise TopicError(f"{where}: unknown key {', '.join(extra)} (known: {', '.join(sorted(known))})")


def _check_term(term: object, where: str, key: str) -> None:
    """A term must say something: a lone ``*`` (or one after nothing but spaces and marks)
    would match every word, and the filter with it."""
    if not isinstance(term, str) or not term.strip():
        raise TopicError(f"{where}, key '{key}': {term!r} is not a term (a non-empty string)")
    if not re.search(r"\w", fold_for_topic(term.strip()).rstrip("*")):
        raise TopicError(f"{where}, key '{key}': {term!r} would match any word")


def _listed(value: object, where: str, key: str, what: str) -> list:
    """``value`` when it is a list; a string where a list belongs would be read one term a
    character (and its ``*`` would match any word), so it is refused by name."""
    if isinstance(value, str):
        raise TopicError(f"{where}, key '{key}': {value!r} is a string; write a list of {what}: [{value!r}]")
    if not isinstance(value, list):
        raise TopicError(f"{where}, key '{key}': must be a list of {what}")
    return value


def _table(value: object, where: str, key: str) -> dict:
    if not isinstance(value, dict):
        raise TopicError(f"{where}, key '{key}': must be a table ([{key}] or {{...}})")
    return value


def _terms(by_language: object, where: str, key: str) -> list[str]:
    """The terms of a ``[concept.terms]`` table, every language's list checked."""
    terms = []
    for language, listed in _table(by_language, where, key).items():
        for term in _listed(listed, where, f"{key}.{language}", "terms"):
            _check_term(term, where, f"{key}.{language}")
            terms.append(term)
    return terms


def _number(value: object, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TopicError(f"{where}, key '{key}': {value!r} is not a number")
    return float(value)


def _parse_group(group: list, where: str) -> tuple[Terms | None, tuple[str, ...]]:
    if not group or not all(isinstance(t, str) and t.strip() for t in group):
        raise TopicError(f"{where}: a near group is a non-empty list of terms")
    for term in group:
        if not term.startswith("@"):
            _check_term(term, where, "terms")
    names = tuple(dict.fromkeys(t[1:] for t in group if t.startswith("@")))
    terms = list(dict.fromkeys(t for t in group if not t.startswith("@")))
    return (Terms.compile(terms) if terms else None), names


def _parse_near(entry: dict, where: str) -> Near:
    """One near table: its languages' groups merged position by position into one rule (one
    pass over the text for all languages, not one per language)."""
    _unknown(entry, NEAR_KEYS, where)
    within = entry.get("within", "sentence")
    if within != "sentence" and not (isinstance(within, int) and within >= 0):
        raise TopicError(f'{where}: within is a number of words or "sentence", not {within!r}')
    by_language = _table(entry.get("terms", {}), where, "terms")
    if not by_language:
        raise TopicError(f"{where}: no [concept.near.terms]")
    for language, groups in by_language.items():
        for group in _listed(groups, where, f"terms.{language}", "groups: [[…], […]]"):
            _listed(group, where, f"terms.{language}", "terms in each group")
    sizes = {len(groups) for groups in by_language.values()}
    if len(sizes) > 1 or min(sizes) < 2:
        raise TopicError(f"{where}: every language gives the same two or more groups: [[…], […]]")
    merged = [[term for groups in by_language.values() for term in groups[i]] for i in range(sizes.pop())]
    return Near(tuple(_parse_group(g, where) for g in merged), None if within == "sentence" else within)


def _parse_concept(entry: dict, number: int, origin: str) -> Concept:
    if not isinstance(entry, dict):
        raise TopicError(f"{origin}: concept #{number}, key 'concept': {entry!r} is not a [[concept]] table")
    name = entry.get("name", f"#{number}")
    where = f"{origin}: concept '{name}'"
    if not isinstance(name, str) or not name:
        raise TopicError(f"{origin}: concept #{number}, key 'name': {name!r} is not a name")
    _unknown(entry, CONCEPT_KEYS, where)
    for key in ("required", "negative"):
        if not isinstance(entry.get(key, False), bool):
            raise TopicError(f"{where}, key '{key}': {entry[key]!r} is not true or false")
    if not isinstance(entry.get("instead_of", ""), str):
        raise TopicError(f"{where}, key 'instead_of': {entry['instead_of']!r} is not a concept's name")
    terms = _terms(entry.get("terms", {}), where, "terms")
    near_tables = _listed(entry.get("near", []), where, "near", "[[concept.near]] tables")
    near = tuple(_parse_near(_table(e, where, "near"), f"{where}, near #{i}") for i, e in enumerate(near_tables, 1))
    if not terms and not near:
        raise TopicError(f"{where} has no terms")
    negative = bool(entry.get("negative"))
    if negative and entry.get("required"):
        raise TopicError(f"{where} cannot be both negative and required")
    if entry.get("instead_of") and not negative:
        raise TopicError(f"{where}: instead_of is for negative concepts")
    weight = _number(entry.get("weight", 1.0), where, "weight")
    compiled = Terms.compile(terms) if terms else None
    return Concept(name, weight, bool(entry.get("required")), compiled, near, negative, entry.get("instead_of"))


def _resolution_order(concepts: list[Concept], origin: str) -> tuple[Concept, ...]:
    """The concepts in the file's order, except that a concept a near group names comes before
    the one that names it."""
    names = {c.name for c in concepts}
    for concept in concepts:
        named = {n for near in concept.near for n in near.references}
        if concept.instead_of:
            named.add(concept.instead_of)
        if named - names:
            raise TopicError(f"{origin}: concept '{concept.name}' names no concept {', '.join(sorted(named - names))}")
    ordered: list[Concept] = []
    waiting = list(concepts)
    while waiting:
        done = {c.name for c in ordered}
        ready = next((c for c in waiting if all(near.references <= done for near in c.near)), None)
        if ready is None:
            raise TopicError(f"{origin}: concepts name each other in a circle: {', '.join(c.name for c in waiting)}")
        ordered.append(ready)
        waiting.remove(ready)
    return tuple(ordered)


def parse_topic(text: str, origin: str = "topic file") -> Topic:
    data = read_toml(text, origin, TopicError)
    _unknown(data, TOPIC_KEYS, origin)
    entries = _listed(data.get("concept", []), origin, "concept", "[[concept]] tables")
    concepts = [_parse_concept(entry, n, origin) for n, entry in enumerate(entries, start=1)]
    if not concepts:
        raise TopicError(f"{origin} has no [[concept]] tables")
    threshold = _number(data.get("threshold", 0.0), origin, "threshold")
    borderline = data.get("borderline")
    if borderline is not None and not _number(borderline, origin, "borderline") <= threshold:
        raise TopicError(f"{origin}: borderline ({borderline}) is above threshold ({threshold})")
    return Topic(
        name=data.get("name", Path(origin).stem),
        title=data.get("title", ""),
        threshold=threshold,
        concepts=_resolution_order(concepts, origin),
        gdelt_queries=_gdelt_queries(data, origin),
        borderline=None if borderline is None else float(borderline),
    )


def _gdelt_queries(data: dict, origin: str) -> tuple[str, ...]:
    queries = _listed(
        _table(data.get("gdelt", {}), origin, "gdelt").get("queries", []), origin, "gdelt.queries", "queries"
    )
    if not all(isinstance(q, str) and q.strip() for q in queries):
        raise TopicError(f"{origin}, key 'gdelt.queries': every query is a non-empty string")
    return tuple(queries)


def load_topic(path: str | os.PathLike | None = None) -> Topic:
    resolved = Path(path or os.environ.get("MONITOR_TOPIC") or DEFAULT_TOPIC)
    return parse_topic(read_text(resolved, "topic", TopicError), origin=str(resolved))
