"""`monitor topic`: what a topic makes of a page (`test`), and the review of what it kept
apart as borderline (`borderline`, `promote`)."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

import click

from media_monitor.cli.options import db_option, topic_option, usage_errors

FETCH_TIMEOUT = 30  # seconds, as DOWNLOAD_TIMEOUT


@click.group("topic")
def topic_group():
    """Try a topic file on a page, and review what it kept apart as borderline.

    \b
    Example:
        monitor topic test https://oc-media.org/some-article/
        monitor topic test --topic my-story.toml draft.txt
        monitor topic borderline && monitor topic promote 412
    """


@dataclass(frozen=True)
class Page:
    """What the topic stage reads of a page, as a crawl would have it after normalisation."""

    title: str
    description: str
    text: str
    language: str | None


def _fetch(url: str) -> tuple[bytes, dict[str, str], str]:
    """The body, headers and final URL of one GET with the monitor's user agent."""
    from media_monitor import settings

    request = urllib.request.Request(url, headers={"User-Agent": settings.USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as answer:
            return answer.read(settings.DOWNLOAD_MAXSIZE), dict(answer.headers.items()), answer.geturl()
    except (urllib.error.URLError, OSError) as exc:
        raise click.ClickException(f"cannot fetch {url}: {getattr(exc, 'reason', exc)}") from None


def _html_values(body: bytes, headers: dict[str, str], url: str) -> dict:
    """The page's raw values, decoded and extracted exactly as a crawl does."""
    from scrapy.http import HtmlResponse

    from media_monitor.extraction.encoding import response_text
    from media_monitor.extraction.page import extract_page

    return extract_page(response_text(HtmlResponse(url, body=body, headers=headers)), url)


def _plain_values(text: str) -> dict:
    """A plain text: its first line is the headline, the rest the text."""
    headline, _, rest = text.strip().partition("\n")
    return {"title": headline, "text": rest}


def read_page(source: str) -> Page:
    """A URL (fetched once), a file or "-" (standard input): HTML is extracted, plain text is a
    headline line and its text."""
    if source.startswith(("http://", "https://")):
        values = _html_values(*_fetch(source))
    else:
        with usage_errors("SOURCE", also=(OSError,)):
            raw = sys.stdin.buffer.read() if source == "-" else open(source, "rb").read()  # noqa: SIM115
        looks_html = raw.lstrip()[:1] == b"<"
        values = _html_values(raw, {}, "file:///" + source) if looks_html else _plain_values(raw.decode("utf-8"))
    return _normalised(values)


def _normalised(values: dict) -> Page:
    from media_monitor.normalise.language import detect_language
    from media_monitor.normalise.text import clean_text, clean_title, drop_furniture

    text = drop_furniture(clean_text(values.get("text")))
    language, _ = detect_language(text, values.get("declared_language"), None)
    return Page(clean_title(values.get("title")), clean_text(values.get("description")), text, language)


def _by_concept(matched_terms: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for entry in matched_terms:
        concept, _, term = entry.partition(": ")
        grouped.setdefault(concept, []).append(term)
    return grouped


@topic_group.command("test")
@topic_option
@click.argument("source", default="-", metavar="[URL|FILE|-]")
def test_topic(topic, source):
    """Score a page with a topic file: the relevance, the terms matched by concept, and the
    decision (on topic, borderline, off topic) with its reason.

    SOURCE is a URL (fetched once, with the monitor's user agent), an HTML or text file, or
    "-" for standard input (the default). HTML is extracted as a crawl extracts it; in plain
    text the first line is the headline and the rest the text.

    \b
    Example:
        monitor topic test https://oc-media.org/some-article/
        monitor topic test --topic my-story.toml page.html
        echo "Russia exits Karabakh
        Russian troops are going home." | monitor topic test
    """
    from media_monitor.normalise.text import word_count
    from media_monitor.story.topic import load_topic

    with usage_errors("--topic"):
        loaded = load_topic(topic)
    page = read_page(source)
    match = loaded.match(page.title, page.description, page.text)
    band = f", borderline from {loaded.borderline:g}" if loaded.borderline is not None else ""
    click.echo(f"topic: {loaded.name} (threshold {loaded.threshold:g}{band})")
    click.echo(f"title: {page.title or '(none)'}")
    click.echo(f"text: {word_count(page.text)} words, language {page.language or 'unknown'}")
    click.echo(f"relevance: {match.relevance:g}")
    click.echo("matched terms:" if match.matched_terms else "matched terms: none")
    for concept, terms in _by_concept(match.matched_terms).items():
        click.echo(f"  {concept} ×{match.found[concept]}: {', '.join(terms)}")
    click.echo(f"decision: {match.status.replace('_', ' ')}")
    click.echo(f"reason: {match.reason}")


def _review_store(db_path: str):
    """The store of an existing database, checked as every reading command checks it."""
    from media_monitor.cli.browsing import _existing_database
    from media_monitor.storage.store import ArticleStore

    _existing_database(db_path).close()
    return ArticleStore(db_path)


@topic_group.command("borderline")
@db_option
@click.option("--limit", default=50, show_default=True, help="How many to list.")
def list_borderline(db_path, limit):
    """List the articles the topic kept apart as borderline, the most relevant first, each with
    its id (for `monitor topic promote`) and the reason it fell short.

    They are stored but counted nowhere: not on the dashboard, in the canned queries or in
    `monitor export`. Datasette lists them too (the borderline_articles query).

    \b
    Example:
        monitor topic borderline --db monitor.db --limit 20
    """
    store = _review_store(db_path)
    rows = store.borderline_articles(limit)
    store.db.close()
    for row in rows:
        click.echo(
            f"{row['id']:>7}  {row['relevance']:.2f}  {row['outlet']}  {row['published_at'] or '-'}  {row['title']}"
        )
        click.echo(f"         {row['topic_reason']}")
    click.echo(f"{len(rows)} borderline article(s)", err=True)


@topic_group.command("promote")
@db_option
@click.argument("article_ids", nargs=-1, required=True, type=int, metavar="ID...")
def promote(db_path, article_ids):
    """Put borderline articles on topic, by their ids: a reviewer's decision, recorded in the
    row (topic_promoted_at, topic_reason) and kept when a later crawl finds a new text.

    \b
    Example:
        monitor topic borderline --db monitor.db
        monitor topic promote --db monitor.db 412 418
    """
    store = _review_store(db_path)
    try:
        for article_id in article_ids:
            try:
                before = store.promote_article(article_id)
            except KeyError:
                raise click.BadParameter(f"no article {article_id} in {db_path}", param_hint="ID") from None
            was = before["topic_status"].replace("_", " ")
            done = "already on topic" if before["topic_status"] == "on_topic" else f"promoted (was {was})"
            click.echo(f"{article_id} {done}: {before['title']}")
    finally:
        store.db.close()
