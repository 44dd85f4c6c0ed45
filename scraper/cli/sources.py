"""`monitor sources`: list, validate and probe the sources file."""

from __future__ import annotations

import sys

import click

from media_monitor.cli.options import outlet_option, sources_option, usage_errors


@click.group("sources")
def sources_group():
    """Inspect, validate and probe the sources file.

    \b
    Example:
        monitor sources check --sources my-outlets.toml
    """


@sources_group.command("list")
@sources_option
def sources_list(sources):
    """One line per outlet: name, language, country, timezone and its source types.

    \b
    Example:
        monitor sources list
    """
    from media_monitor.config.sources import load_sources

    outlets = load_sources(sources)
    click.echo(
        f"{'name':<22} {'lang':<4} {'cc':<2} {'timezone':<18} {'feeds':>5} {'sitemaps':>8} {'listings':>8}  title"
    )
    for o in outlets:
        click.echo(
            f"{o.name:<22} {o.language:<4} {o.country:<2} {o.timezone:<18} {len(o.feeds):>5} "
            f"{len(o.sitemaps):>8} {len(o.listings):>8}  {o.title}"
        )
    languages = sorted({o.language for o in outlets})
    click.echo(f"{len(outlets)} outlets in {', '.join(languages)}")


@sources_group.command("check")
@sources_option
def sources_check(sources):
    """Validate the file: names, URLs, timezones, languages, listing selectors.

    Exits 2 with a message naming the outlet and key when something is wrong. Also warns
    about a feed or sitemap URL listed by two outlets.

    \b
    Example:
        monitor sources check --sources my-outlets.toml
    """
    from media_monitor.config.sources import load_sources, sources_path

    outlets = load_sources(sources)  # --sources has validated it
    owners: dict[str, str] = {}
    for outlet in outlets:
        for url in outlet.source_urls:
            if url in owners:
                click.echo(f"warning: {url} is listed by both {owners[url]} and {outlet.name}", err=True)
            owners.setdefault(url, outlet.name)
    click.echo(f"{sources_path(sources)}: {len(outlets)} outlets, {len(owners)} source URLs, OK")


@sources_group.command("probe")
@sources_option
@outlet_option
@click.option("--timeout", default=20.0, show_default=True, help="Seconds to wait for each URL.")
def sources_probe(sources, outlets, timeout):
    """Fetch each feed, sitemap and listing once (needs a network) and report its HTTP status,
    item count and newest item's date. Exits 1 when an outlet has no working source.

    \b
    Example:
        monitor sources probe --outlet oc_media --outlet news_am_en
    """
    from media_monitor.config.sources import load_sources, select_outlets, sources_path
    from media_monitor.operations.probe import probe_outlets
    from media_monitor.settings import USER_AGENT

    with usage_errors("--outlet"):
        selected = select_outlets(load_sources(sources), outlets, sources_path(sources))
    results = probe_outlets(selected, USER_AGENT, timeout)
    for r in results:
        verdict = f"{r.items} items, newest {r.newest or '-'}" if r.ok else (r.error or "no items")
        click.echo(f"{r.outlet:<22} {r.kind:<8} {r.status or '-':>4}  {verdict}  {r.url}")
    dead = sorted({r.outlet for r in results} - {r.outlet for r in results if r.ok})
    if dead:
        click.echo(f"no working source: {', '.join(dead)}", err=True)
        sys.exit(1)
