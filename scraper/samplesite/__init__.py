"""The bundled sample site: fictional outlets in en, ru, hy and az, served on 127.0.0.1.

Tests and `monitor demo` crawl it with the real spiders. ``site/`` holds the pages, feeds and
sitemaps, ``outlets.toml`` the sources file that points at them, and ``manifest.toml`` what a
correct crawl must make of each page.
"""

from media_monitor.samplesite.server import SampleSite

__all__ = ["SampleSite"]
