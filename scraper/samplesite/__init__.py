"""The bundled sample site: fictional outlets in en, ru, hy and az, served on 127.0.0.1.

Tests and `monitor demo` crawl it with the real spiders. ``site/`` holds the pages, feeds and
sitemaps, ``outlets.toml`` the sources file that points at them, and ``manifest.toml`` what a
correct crawl must make of each page. ``server.py`` is the HTTP server of every local site
(``LocalSite``) and the sample site (``SampleSite``); ``generated.py`` is a generated site of N
articles (``GeneratedSite``) for the scale-out tests and the crawl benchmark; ``copies.py`` serves
syndicated copies of real texts in a chosen order (``CopiesSite``), for the cluster order tests.
"""

from media_monitor.samplesite.server import LocalSite, SampleSite

__all__ = ["LocalSite", "SampleSite"]
