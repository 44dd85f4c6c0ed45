"""The sources file: which outlets to crawl, and how.

Outlets live in a TOML file (``[[outlet]]`` tables), not in code. Loading validates every
entry and reports the first problems with the outlet's name and the offending key, so a typo
in a file edited by hand never reaches a crawl.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from media_monitor.config import CONFIG_DIR
from media_monitor.config.files import read_text, read_toml
from media_monitor.extraction.selectors import compile_selector

DEFAULT_SOURCES = CONFIG_DIR / "sources.toml"

# ISO 639-1 codes: a language outside this list is a typo, not a new language.
ISO_639_1 = frozenset(
    [
        "aa",
        "ab",
        "ae",
        "af",
        "ak",
        "am",
        "an",
        "ar",
        "as",
        "av",
        "ay",
        "az",
        "ba",
        "be",
        "bg",
        "bh",
        "bi",
        "bm",
        "bn",
        "bo",
        "br",
        "bs",
        "ca",
        "ce",
        "ch",
        "co",
        "cr",
        "cs",
        "cu",
        "cv",
        "cy",
        "da",
        "de",
        "dv",
        "dz",
        "ee",
        "el",
        "en",
        "eo",
        "es",
        "et",
        "eu",
        "fa",
        "ff",
        "fi",
        "fj",
        "fo",
        "fr",
        "fy",
        "ga",
        "gd",
        "gl",
        "gn",
        "gu",
        "gv",
        "ha",
        "he",
        "hi",
        "ho",
        "hr",
        "ht",
        "hu",
        "hy",
        "hz",
        "ia",
        "id",
        "ie",
        "ig",
        "ii",
        "ik",
        "io",
        "is",
        "it",
        "iu",
        "ja",
        "jv",
        "ka",
        "kg",
        "ki",
        "kj",
        "kk",
        "kl",
        "km",
        "kn",
        "ko",
        "kr",
        "ks",
        "ku",
        "kv",
        "kw",
        "ky",
        "la",
        "lb",
        "lg",
        "li",
        "ln",
        "lo",
        "lt",
        "lu",
        "lv",
        "mg",
        "mh",
        "mi",
        "mk",
        "ml",
        "mn",
        "mr",
        "ms",
        "mt",
        "my",
        "na",
        "nb",
        "nd",
        "ne",
        "ng",
        "nl",
        "nn",
        "no",
        "nr",
        "nv",
        "ny",
        "oc",
        "oj",
        "om",
        "or",
        "os",
        "pa",
        "pi",
        "pl",
        "ps",
        "pt",
        "qu",
        "rm",
        "rn",
        "ro",
        "ru",
        "rw",
        "sa",
        "sc",
        "sd",
        "se",
        "sg",
        "si",
        "sk",
        "sl",
        "sm",
        "sn",
        "so",
        "sq",
        "sr",
        "ss",
        "st",
        "su",
        "sv",
        "sw",
        "ta",
        "te",
        "tg",
        "th",
        "ti",
        "tk",
        "tl",
        "tn",
        "to",
        "tr",
        "ts",
        "tt",
        "tw",
        "ty",
        "ug",
        "uk",
        "ur",
        "uz",
        "ve",
        "vi",
        "vo",
        "wa",
        "wo",
        "xh",
        "yi",
        "yo",
        "za",
        "zh",
        "zu",
    ]
)

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
COUNTRY_PATTERN = re.compile(r"^[A-Z]{2}$")
REQUIRED_KEYS = ("name", "title", "homepage", "language", "country", "timezone")
OPTIONAL_KEYS = ("feeds", "sitemaps", "listings", "selectors", "notes", "archive_patterns")
# [outlet.selectors]: where an outlet's article pages print each field, for pages whose
# structured data lacks it (media_monitor.extraction.page ranks these after JSON-LD and the metas).
SELECTOR_KEYS = ("title", "published", "authors", "text")
LISTING_KEYS = ("url", "links", "dates", "max_pages", "first_page", "date_format")


class SourcesError(ValueError):
    """The sources file cannot be used; the message names the outlet and the key."""


@dataclass(frozen=True)
class Listing:
    """A tag, section, archive or search page with article links, paged by ``{page}`` or
    dated by ``{date}`` in its URL.

    ``links`` and ``dates`` are CSS selectors, or XPath when written ``xpath:…``; ``dates``
    (optional) reads each teaser's date, which lets a windowed crawl stop paging once a page
    is older than the window.
    """

    url: str
    links: str
    dates: str | None = None
    max_pages: int = 20
    first_page: int = 1
    date_format: str = "%Y-%m-%d"

    def as_row(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Outlet:
    name: str
    title: str
    homepage: str
    language: str
    country: str
    timezone: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    selectors: tuple[tuple[str, str], ...] = ()  # (field, CSS or xpath: selector), SELECTOR_KEYS
    notes: str = ""
    # Regular expressions (searched in the whole URL) that tell the outlet's article URLs among
    # what a web archive holds of it; empty: the generic rules (media_monitor.archives.articleurls).
    archive_patterns: tuple[str, ...] = ()
    discovered: bool = False  # found through a discovery source, not listed in a sources file

    @property
    def source_urls(self) -> list[str]:
        return [*self.feeds, *self.sitemaps, *(listing.url for listing in self.listings)]

    @property
    def domains(self) -> list[str]:
        """Hosts the outlet publishes on: its homepage, feeds, sitemaps and listings."""
        hosts = {urlsplit(url).hostname for url in (self.homepage, *self.source_urls)}
        return sorted(h for h in hosts if h)

    def as_row(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "homepage": self.homepage,
            "language": self.language,
            "country": self.country,
            "timezone": self.timezone,
            "feeds": list(self.feeds),
            "sitemaps": list(self.sitemaps),
            "listings": [listing.as_row() for listing in self.listings] or None,
            "discovered": int(self.discovered),
        }


@dataclass
class _Problems:
    origin: str
    messages: list[str] = field(default_factory=list)

    def add(self, where: str, key: str, message: str) -> None:
        self.messages.append(f"{where}, key '{key}': {message}")

    def raise_if_any(self) -> None:
        """One line a problem, each naming the file, the outlet and the key."""
        if self.messages:
            raise SourcesError("\n".join(f"{self.origin}: {message}" for message in self.messages))


def _is_web_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises for a port out of range or not a number
    except ValueError:  # a malformed IPv6 address ("http://[::1/feed"), a bad port
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_outlet(entry: dict, where: str, problems: _Problems) -> Outlet | None:
    before = len(problems.messages)
    for key in REQUIRED_KEYS:
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            problems.add(where, key, "is required and must be a non-empty string")
    for key in sorted(set(entry) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS)):
        allowed = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
        problems.add(where, key, f"is not a known key (known: {allowed})")
    if len(problems.messages) > before:
        return None

    if not NAME_PATTERN.match(entry["name"]):
        problems.add(where, "name", f"{entry['name']!r} must be snake_case (a-z, 0-9, _)")
    if not _is_web_url(entry["homepage"]):
        problems.add(where, "homepage", f"{entry['homepage']!r} is not an http(s) URL")
    if entry["language"] not in ISO_639_1:
        problems.add(where, "language", f"{entry['language']!r} is not an ISO 639-1 code")
    if not COUNTRY_PATTERN.match(entry["country"]):
        problems.add(where, "country", f"{entry['country']!r} is not an ISO 3166-1 alpha-2 code")
    try:
        ZoneInfo(entry["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(where, "timezone", f"{entry['timezone']!r} is not a known IANA timezone")
    urls: dict[str, tuple[str, ...]] = {}
    for key in ("feeds", "sitemaps"):
        value = entry.get(key, [])
        if not isinstance(value, list):
            problems.add(where, key, "must be a list of URLs")
            continue
        for url in value:
            if not _is_web_url(url):
                problems.add(where, key, f"{url!r} is not an http(s) URL")
        urls[key] = tuple(value)
    listings = _check_listings(entry.get("listings", []), where, problems)
    selectors = _check_selectors(entry.get("selectors", {}), where, problems)
    if not urls.get("feeds") and not urls.get("sitemaps") and not listings and len(urls) == 2:
        problems.add(where, "feeds", "an outlet needs at least one feed, sitemap or listing")
    if not isinstance(entry.get("notes", ""), str):
        problems.add(where, "notes", "must be a string")
    archive_patterns = _check_patterns(entry.get("archive_patterns", []), where, problems)
    if len(problems.messages) > before:
        return None
    return Outlet(
        name=entry["name"],
        title=entry["title"],
        homepage=entry["homepage"],
        language=entry["language"],
        country=entry["country"],
        timezone=entry["timezone"],
        feeds=urls["feeds"],
        sitemaps=urls["sitemaps"],
        listings=tuple(listings),
        selectors=selectors,
        notes=entry.get("notes", ""),
        archive_patterns=archive_patterns,
    )


def _check_patterns(value: object, where: str, problems: _Problems) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(where, "archive_patterns", "must be a list of regular expressions")
        return ()
    for pattern in value:
        try:
            re.compile(pattern)
        except re.error as exc:
            problems.add(where, "archive_patterns", f"{pattern!r} is not a regular expression ({exc})")
    return tuple(value)


def _check_selector(selector: object, where: str, key: str, problems: _Problems) -> None:
    try:
        if not isinstance(selector, str):
            raise ValueError("a CSS selector (or xpath:…) is required")
        compile_selector(selector)
    except ValueError as exc:
        problems.add(where, key, str(exc))


def _check_selectors(value: object, where: str, problems: _Problems) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        problems.add(where, "selectors", "must be a [outlet.selectors] table")
        return ()
    for key, selector in value.items():
        if key not in SELECTOR_KEYS:
            problems.add(where, f"selectors.{key}", f"is not a known key (known: {', '.join(SELECTOR_KEYS)})")
            continue
        _check_selector(selector, where, f"selectors.{key}", problems)
    return tuple((k, v) for k, v in value.items() if k in SELECTOR_KEYS and isinstance(v, str))


def _check_listings(value: object, where: str, problems: _Problems) -> list[Listing]:
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.add(where, "listings", "must be [[outlet.listings]] tables")
        return []
    listings = []
    for number, entry in enumerate(value, start=1):
        key = f"listings #{number}"
        before = len(problems.messages)
        for unknown in sorted(set(entry) - set(LISTING_KEYS)):
            problems.add(where, f"{key}.{unknown}", f"is not a known key (known: {', '.join(LISTING_KEYS)})")
        url = entry.get("url")
        if not _is_web_url(url) or not ("{page}" in url or "{date}" in url):
            problems.add(where, f"{key}.url", f"{url!r} must be an http(s) URL with {{page}} or {{date}}")
        for selector_key in ("links", "dates"):
            selector = entry.get(selector_key)
            if selector is None and selector_key == "dates":
                continue
            _check_selector(selector, where, f"{key}.{selector_key}", problems)
        for int_key in ("max_pages", "first_page"):
            value = entry.get(int_key, 0)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                problems.add(where, f"{key}.{int_key}", "must be a whole number")
        date_format = entry.get("date_format", "%Y-%m-%d")
        if not isinstance(date_format, str) or "%" not in date_format:
            problems.add(where, f"{key}.date_format", f"{date_format!r} must be a strptime format such as '%d.%m.%Y'")
        if len(problems.messages) == before:
            listings.append(Listing(**entry))
    return listings


def parse_sources(text: str, origin: str = "sources file") -> list[Outlet]:
    """Validate the TOML text of a sources file and return its outlets in file order. Other
    top-level tables (the archive scenario's ``[archive]``, where its stand-in archives answer)
    are not the loader's: the archives are configured by settings (MONITOR_WAYBACK_URL …)."""
    data = read_toml(text, origin, SourcesError)
    problems = _Problems(origin)
    entries = data.get("outlet")
    if not isinstance(entries, list) or not entries:
        raise SourcesError(f"{origin} has no [[outlet]] tables")
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.add(f"outlet #{number}", "outlet", f"{entry!r} is not an [[outlet]] table")
    problems.raise_if_any()
    outlets: list[Outlet] = []
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        where = f"outlet '{name}' (#{number})" if name else f"outlet #{number}"
        if name in seen:
            problems.add(where, "name", f"{name!r} is used by an earlier outlet")
        outlet = _check_outlet(entry, where, problems)
        if outlet:
            seen.add(outlet.name)
            outlets.append(outlet)
    problems.raise_if_any()
    return outlets


def sources_path(explicit: str | os.PathLike | None = None) -> Path:
    """The sources file in force: the argument, then $MONITOR_SOURCES, then the bundled one."""
    return Path(explicit or os.environ.get("MONITOR_SOURCES") or DEFAULT_SOURCES)


def load_sources(path: str | os.PathLike | None = None) -> list[Outlet]:
    resolved = sources_path(path)
    return parse_sources(read_text(resolved, "sources", SourcesError), origin=str(resolved))


def select_outlets(outlets: list[Outlet], names: Iterable[str], origin: str | os.PathLike) -> list[Outlet]:
    """The outlets named, in the order named (every outlet, in file order, when none is);
    SourcesError naming each name that ``origin``, the file the outlets came from, lacks."""
    by_name = {outlet.name: outlet for outlet in outlets}
    wanted = list(dict.fromkeys(names))  # a name given twice is crawled once
    unknown = sorted(set(wanted) - set(by_name))
    if unknown:
        raise SourcesError(f"no outlet named {', '.join(unknown)} in {origin}")
    return [by_name[name] for name in wanted] if wanted else list(outlets)
