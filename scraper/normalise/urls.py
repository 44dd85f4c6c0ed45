"""Canonical URLs: one spelling per article, whatever link led to it.

w3lib (Scrapy's own URL library) first makes a URL safe, as Scrapy does with every URL it
requests: spaces and non-ASCII characters percent-encoded as UTF-8, an international host in
punycode (``пример.рф`` -> ``xn--e1afmkfd.xn--p1ai``, the spelling Scrapy fetches), an IPv6
host kept in its brackets. This module then writes its own normal form of the safe URL.

w3lib's ``canonicalize_url`` is not that normal form: it keeps ``%2F`` escaped in a path and
leaves ``[``, ``]`` and ``|`` unescaped, so the keys and canonical URLs already stored would
change. Query parameters are decoded by w3lib, which keeps bytes that are not UTF-8 (a
cp1251 ``?q=%EF%F0``) instead of replacing them, so two such queries stay two.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, quote, unquote_to_bytes, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import parse_qsl_to_bytes, safe_url_string

# Query parameters that identify a click, a campaign or a session, never the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "yclid",
        "msclkid",
        "twclid",
        "igshid",
        "_ga",
        "_gl",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ocid",
        "cmpid",
        "ref_src",
        "ref",
        "s_cid",
        "ito",
        "at_medium",
        "at_campaign",
        "wt.mc_id",
        "spm",
        "guccounter",
        "sessionid",
        "phpsessid",
        "jsessionid",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_", "oly_")
DEFAULT_PORTS = {"http": 80, "https": 443}
# Host prefixes that serve the same site to other devices.
SAME_SITE_PREFIXES = re.compile(r"^(www\d*|m|mobile|amp)\.")


# Parameters that only select the AMP rendering of the same page.
AMP_PARAMS = {("amp", "1"), ("amp", ""), ("amp", "true"), ("outputtype", "amp")}
INDEX_PAGES = re.compile(r"/(index|default)\.(html?|php|aspx?)$", re.IGNORECASE)
PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _query_pairs(query: str) -> list[tuple[str, bytes, bytes]]:
    """Each parameter as (name as text, for the checks; name and value as bytes, to write back)."""
    return [
        (name.decode("utf-8", "replace"), name, value)
        for name, value in parse_qsl_to_bytes(query, keep_blank_values=True)
    ]


_ARCHIVED = re.compile(r"^https?://web\.archive\.org/web/\d+[a-z_]*/(https?://.+)$")


def unarchived(url: str) -> str:
    """The original URL of a Wayback Machine copy; any other URL as it is."""
    match = _ARCHIVED.match(url)
    return match.group(1) if match else url


def _safe_parts(url: str) -> SplitResult:
    """``url`` made safe by w3lib (see the module docstring), split."""
    return urlsplit(safe_url_string(url))


def site_of(url: str) -> str:
    """The host (in punycode) with www./m./mobile./amp. removed: two URLs of one site share it."""
    try:
        host = _safe_parts(url).hostname
    except ValueError:  # w3lib refuses a port that is no number or out of range; the host still names the site
        host = urlsplit(url).hostname
    return SAME_SITE_PREFIXES.sub("", (host or "").lower())


def canonicalise_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no default port, no tracking parameters.

    The remaining query parameters keep their order: some sites route on it.
    """
    parts = _safe_parts(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:  # IPv6: the brackets that urlsplit took off keep its colons apart from the port's
        host = f"[{host}]"
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = urlencode([(name, value) for text, name, value in _query_pairs(parts.query) if not _is_tracking(text)])
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def choose_canonical(fetched_url: str, *declared: str | None) -> str:
    """The page's declared canonical (``<link rel=canonical>``, then ``og:url``) when it is on
    the same site as the fetched URL; otherwise the fetched URL, canonicalised.

    A canonical pointing to another site is ignored: syndicated copies often point to the
    original publisher, and the copy is a row of its own outlet.
    """
    for candidate in declared:
        if not candidate:
            continue
        absolute = urljoin(fetched_url, candidate.strip())
        if urlsplit(absolute).scheme in ("http", "https") and site_of(absolute) == site_of(fetched_url):
            return canonicalise_url(absolute)
    return canonicalise_url(fetched_url)


def url_key(url: str) -> str:
    """The identity of the page a URL shows, for dedupe: two URLs with the same key are one
    article. Folds http/https, www./m./mobile./amp. hosts, /amp/ paths and ?amp=1 or
    outputType=amp, index pages, trailing slashes, default ports, percent-encoding case,
    escaped or raw characters, an international host in unicode or punycode, parameter order,
    and tracking and session parameters. Not a URL: it has no scheme.
    """
    parts = urlsplit(canonicalise_url(url))
    host = SAME_SITE_PREFIXES.sub("", parts.netloc)
    path = PATH_SESSION.sub("", parts.path)
    path = quote(unquote_to_bytes(path), safe=PATH_SAFE)  # one spelling of each escaped character
    segments = [s for s in path.split("/") if s.lower() != "amp"]
    path = INDEX_PAGES.sub("/", "/".join(segments)).rstrip("/") or "/"
    query = sorted(
        (name, value)
        for text, name, value in _query_pairs(parts.query)
        if (text.lower(), value.decode("utf-8", "replace").lower()) not in AMP_PARAMS
    )
    return host + path + (f"?{urlencode(query)}" if query else "")
