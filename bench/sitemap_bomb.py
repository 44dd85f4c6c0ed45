"""Peak memory of a crawl facing a 1 MB sitemap gzip bomb (issue 20: it reached 1.27 GB).

    python bench/sitemap_bomb.py

Serves the hostile site (``media_monitor.samplesite.hostile``) and crawls its two bomb outlets
with the project's settings (``DOWNLOAD_MAXSIZE`` 10 MB): ``bomb_sitemap`` (a ``.xml.gz`` file
the spider inflates itself, through ``media_monitor.crawling.xmlstream``) and
``bomb_encoded_sitemap`` (the same bytes with ``Content-Encoding: gzip``, inflated by Scrapy's
middleware). Prints the crawl process's peak RSS (``getrusage`` of the child), and, for
comparison, the peak RSS of a process that only inflates the body as the spider did before
(Scrapy's ``gunzip`` without ``max_size``).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BEFORE = """
import resource
from scrapy.utils.gz import gunzip
from media_monitor.samplesite.hostile import gzip_bomb
body = gunzip(gzip_bomb())
print(len(body), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def child_peak_mb(command: list[str], env: dict) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``command``; the peak RSS in MB of this process's children so far (run it first) and seconds."""
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, time.monotonic() - started, result


def main() -> None:
    from media_monitor.crawling.xmlstream import body_chunks
    from media_monitor.samplesite.hostile import HostileSite, gzip_bomb

    bomb = gzip_bomb()
    inflated = sum(len(chunk) for chunk in body_chunks(bomb, 0))
    print(f"bomb: {len(bomb) / 1e6:.2f} MB of gzip, {inflated / 1e9:.2f} GB inflated")
    env = {
        **os.environ,
        **{name: "" for name in ("MONITOR_WAYBACK_URL", "MONITOR_CC_INDEX_URL", "MONITOR_CC_DATA_URL")},
    }
    with HostileSite() as site, tempfile.TemporaryDirectory() as folder:
        sources = site.write_sources(Path(folder) / "sources.toml")
        command = [sys.executable, "-m", "media_monitor", "crawl", "--db", f"{folder}/m.db", "--sources", str(sources)]
        command += [
            "--outlet",
            "bomb_sitemap",
            "--outlet",
            "bomb_encoded_sitemap",
            "--set",
            "AUTOTHROTTLE_ENABLED=False",
        ]
        peak, seconds, result = child_peak_mb(command, env)
    bounded = [line.split("] ", 1)[-1] for line in result.stderr.splitlines() if "over the size limit" in line]
    print(f"crawl (exit {result.returncode}): peak RSS {peak:.0f} MB, {seconds:.1f} s")
    for line in bounded:
        print("  " + line)
    _, seconds, result = child_peak_mb([sys.executable, "-c", BEFORE], env)
    size, peak_kb = (int(n) for n in result.stdout.split())  # its own getrusage: the crawl's is in ours
    print(
        f"before (gunzip without max_size): peak RSS {peak_kb / 1024:.0f} MB, {seconds:.1f} s, {size / 1e9:.2f} GB inflated"
    )


if __name__ == "__main__":
    main()
