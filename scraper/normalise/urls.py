"""Canonical URLs: one spelling per article, whatever link led to it."""

from __future__ import annotations

import re
from urllib.parse import (
    parse_qsl,
    quote,
    unquote,
    urlencode,
    urljoin,
    urlsplit,
    urlunsplit,
)

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


_ARCHIVED = re.compile(r"^https?://web\.archive\.org/web/\d+[a-z_]*/(https?://.+)$")


def unarchived(url: str) -> str:
    """The original URL of a Wayback Machine copy; any other URL as it is."""
    match = _ARCHIVED.match(url)
    return match.group(1) if match else url


def site_of(url: str) -> str:
    """The host with www./m./mobile./amp. removed: two URLs of one site share it."""
    host = (urlsplit(url).hostname or "").lower()
    return SAME_SITE_PREFIXES.sub("", host)


def canonicalise_url(url: str) -> str:
    """Lower-case scheme and host, no fragment, no default port, no tracking parameters.

    The remaining query parameters keep their order: some sites route on it.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)])
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
    parameter order, and tracking and session parameters. Not a URL: it has no scheme.
    """
    parts = urlsplit(canonicalise_url(url))
    host = SAME_SITE_PREFIXES.sub("", parts.netloc)
    path = PATH_SESSION.sub("", parts.path)
    path = quote(unquote(path), safe=PATH_SAFE)  # one spelling of each escaped character
    segments = [s for s in path.split("/") if s.lower() != "amp"]
    path = INDEX_PAGES.sub("/", "/".join(segments)).rstrip("/") or "/"
    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if (k.lower(), v.lower()) not in AMP_PARAMS
    )
    return host + path + (f"?{urlencode(query)}" if query else "")
