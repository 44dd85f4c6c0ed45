"""The crawler never leaves http(s), and never requests a loopback or private address unless an
outlet is configured there.

A scraped feed, sitemap, listing or GDELT answer decides which URLs the crawler requests, so it
must not be able to point the crawler at ``file:///etc/passwd``, an ``ftp:``/``s3:``/``data:``
URL (Scrapy has download handlers for all of them), a cloud metadata endpoint
(``169.254.169.254``), a router or a database on the local network.

- ``SafeRequests``, a downloader middleware placed first, refuses a URL whose scheme is not
  http(s), or whose host is an IP literal in a loopback, private, link-local or otherwise
  non-global range (127.0.0.0/8, 10/8, 172.16/12, 192.168/16, 169.254/16, ::1, fc00::/7,
  fe80::/10, ...) that no outlet is configured at. It checks requests when they are scheduled
  too, where Scrapy's offsite filter would otherwise drop them without a word: every refusal
  is logged and counted (``monitor/unsafe_refused``, and as a failed article or source).
- ``SafeResolver`` (``TWISTED_DNS_RESOLVER``) refuses a host name that resolves to such an
  address unless the name, or the address, is configured: DNS cannot smuggle one in.

Configured: the hosts of the outlets in the sources file (``MONITOR_SOURCES``: homepages,
feeds, sitemaps, listings), the hosts of ``MONITOR_GDELT_URL`` and of the web archives
(``MONITOR_WAYBACK_URL``, ``MONITOR_CC_INDEX_URL``, ``MONITOR_CC_DATA_URL``), and ``MONITOR_PRIVATE_HOSTS``
(names, addresses or networks such as ``10.1.0.0/16``). The sample site on 127.0.0.1 is
configured that way; ``localhost`` resolves to 127.0.0.1, where its outlets are configured.
"""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.error import DNSLookupError

from media_monitor.config.sources import SourcesError, load_sources
from media_monitor.crawling.failures import UnsafeRequest
from media_monitor.crawling.requestmeta import ARTICLE, SOURCE

logger = logging.getLogger(__name__)

ALLOWED_SCHEMES = frozenset({"http", "https"})
# Host names the resolver refused in this process, with the address they resolved to.
REFUSED_NAMES: dict[str, str] = {}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeAddressError(DNSLookupError):
    """A host name resolved to a private address no outlet is configured at."""


def ip_literal(host: str | None) -> IPAddress | None:
    """The address a URL host spells literally ('10.0.0.1', '[::1]'), else None."""
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_private(address: IPAddress | str) -> bool:
    """Loopback, private, link-local, shared, reserved or unspecified: anything not global."""
    if isinstance(address, str):
        address = ip_literal(address)
        if address is None:
            return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


@dataclass(frozen=True)
class HostPolicy:
    """Which private hosts and addresses the crawl may reach: the configured ones."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_hosts(cls, hosts) -> HostPolicy:
        names, networks = set(), []
        for host in hosts:
            host = str(host or "").strip().lower()
            if not host:
                continue
            address = ip_literal(host)
            if address is not None:
                networks.append(ipaddress.ip_network(address))
                continue
            try:
                networks.append(ipaddress.ip_network(host, strict=False))
            except ValueError:
                names.add(host.rstrip("."))
        return cls(frozenset(names), tuple(networks))

    @classmethod
    def from_settings(cls, settings) -> HostPolicy:
        hosts: list[str] = list(settings.getlist("MONITOR_PRIVATE_HOSTS"))
        try:
            for outlet in load_sources(settings.get("MONITOR_SOURCES")):
                hosts.extend(outlet.domains)
        except (SourcesError, OSError) as exc:
            logger.warning("No configured hosts for the address check: %s", exc)
        for key in ("MONITOR_GDELT_URL", "MONITOR_WAYBACK_URL", "MONITOR_CC_INDEX_URL", "MONITOR_CC_DATA_URL"):
            url = settings.get(key)
            if url:
                hosts.append(urlsplit(url).hostname or "")
        return cls.from_hosts(hosts)

    def address_configured(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)

    def url_refusal(self, url: str) -> str | None:
        """Why a URL must not be requested (before any DNS lookup), or None."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as exc:
            return f"malformed URL ({exc})"
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            return f"scheme {scheme + ':' if scheme else '(none)'} is not http(s)"
        address = ip_literal(host)
        if address is not None and is_private(address) and not self.address_configured(address):
            return f"{address} is a loopback or private address no outlet is configured at"
        return None

    def resolved_refusal(self, name: str, address: str) -> str | None:
        """Why a host name that resolved to ``address`` must not be requested, or None."""
        resolved = ip_literal(address)
        if resolved is None or not is_private(resolved):
            return None
        if name.lower().rstrip(".") in self.names or self.address_configured(resolved):
            return None
        return f"{name} resolves to {resolved}, a loopback or private address no outlet is configured at"


def refused_host_reason(url: str) -> str | None:
    """The resolver's refusal of this URL's host in this process, if any."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    address = REFUSED_NAMES.get(host)
    if address is None:
        return None
    return f"{host} resolves to {address}, a loopback or private address no outlet is configured at"


class SafeRequests:
    """Refuses non-http(s) URLs and unconfigured private IP literals; logs and counts them."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.policy = HostPolicy.from_settings(crawler.settings)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def refusal(self, request) -> str | None:
        return self.policy.url_refusal(request.url) or refused_host_reason(request.url)

    def _refused(self, request, reason: str) -> UnsafeRequest:
        self.crawler.stats.inc_value("monitor/unsafe_refused")
        logger.error("Refused unsafe request %s: %s", request.url, reason)
        return UnsafeRequest(f"refused: {reason}")

    def request_scheduled(self, request, spider=None):
        """At scheduling, before Scrapy's offsite filter can drop the request silently; no
        errback runs for a request refused here, so it is counted here."""
        reason = self.refusal(request)
        if not reason:
            return
        exception = self._refused(request, reason)
        if request.meta.get(ARTICLE):
            self.crawler.stats.inc_value("monitor/articles_failed")
        elif request.meta.get(SOURCE):
            self.crawler.stats.inc_value("monitor/sources_failed")
        raise exception

    def process_request(self, request, spider=None):
        """Requests that were not scheduled (robots.txt) or whose host was refused by the
        resolver since: the errback counts them."""
        reason = self.refusal(request)
        if reason:
            raise self._refused(request, reason)
        return None


class SafeResolver(CachingThreadedResolver):
    """Scrapy's caching resolver, refusing names that resolve to unconfigured private addresses."""

    policy: HostPolicy = HostPolicy()

    @classmethod
    def from_crawler(cls, crawler, reactor):
        resolver = super().from_crawler(crawler, reactor)
        resolver.policy = HostPolicy.from_settings(crawler.settings)
        configured = sorted([*resolver.policy.names, *map(str, resolver.policy.networks)])
        logger.info("Loopback and private addresses refused, except at: %s", ", ".join(configured) or "none")
        return resolver

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 (Twisted's naming)
        deferred = super().getHostByName(name, timeout)
        deferred.addCallback(self.checked, name)
        return deferred

    def checked(self, address: str, name: str) -> str:
        reason = self.policy.resolved_refusal(name, address)
        if reason:
            if name.lower() not in REFUSED_NAMES:
                logger.error("Refused to connect to %s: %s", name, reason)
            REFUSED_NAMES[name.lower()] = address
            raise UnsafeAddressError(reason)
        return address
