"""The options the `monitor` commands share, and the one way a bad value or file ends.

Whatever a command cannot use — a malformed value, a sources or topic file that fails
validation, an outlet the file lacks — ends as click's usage error: "Error: …" on stderr and
exit 2, never a traceback. Exit 1 stays for what went wrong in the work itself (every outlet
of a crawl failed, a stale outlet under `status --check`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click


@contextmanager
def usage_errors(*options: str, also: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """Turn a ValueError (SourcesError and TopicError are ValueErrors, and so are the parsers'
    complaints), or one of ``also``, into click's BadParameter: exit 2 with its message.

    ``options`` name the culprit in the message; in an option's callback click names it.
    """
    try:
        yield
    except (ValueError, *also) as exc:
        raise click.BadParameter(str(exc), param_hint=list(options) or None) from None


def _loads(ctx: click.Context, param: click.Parameter, path: str | None) -> str | None:
    """--sources and --topic: load the file now, so that a bad one fails before the command runs."""
    # Imported here: `monitor --help` need not load the validators.
    from media_monitor.config.sources import load_sources
    from media_monitor.story.topic import load_topic

    if path is not None:
        with usage_errors():
            {"sources": load_sources, "topic": load_topic}[param.name](path)
    return path


def _utc_bound(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A --since/--until value as a date (YYYY-MM-DD) or a UTC time (…Z)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (2024-04-17) or time (2024-04-17T14:05+04:00)") from None
    if len(value) == 10:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _settings(ctx: click.Context, param: click.Parameter, pairs: tuple[str, ...]) -> dict[str, str]:
    """The --set KEY=VALUE pairs as a dict; a later pair wins over an earlier one."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE")
        settings[key] = value
    return settings


def _in_existing_folder(ctx: click.Context, param: click.Parameter, path: str) -> str:
    """--db: the database's folder must exist. A typo in it would otherwise create a whole new
    tree (and an empty database in it) instead of failing."""
    folder = Path(path).expanduser().parent
    if not folder.is_dir():
        raise click.BadParameter(f"{path}: the folder {folder} does not exist (create it first)")
    return path


db_option = click.option(
    "--db",
    "db_path",
    envvar="MONITOR_DB",
    default="monitor.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    callback=_in_existing_folder,
    help="SQLite database file (or set MONITOR_DB).",
)
sources_option = click.option(
    "--sources",
    type=click.Path(exists=True, dir_okay=False),
    envvar="MONITOR_SOURCES",
    callback=_loads,
    help="Sources file (default: the bundled scraper/config/sources.toml).",
)
topic_option = click.option(
    "--topic",
    type=click.Path(exists=True, dir_okay=False),
    envvar="MONITOR_TOPIC",
    callback=_loads,
    help="Topic file (default: the bundled Karabakh peacekeepers topic).",
)
outlet_option = click.option(
    "--outlet",
    "outlets",
    multiple=True,
    metavar="NAME",
    help="Only this outlet (repeatable). Default: every outlet.",
)
since_option = click.option(
    "--since",
    callback=_utc_bound,
    help="Only articles published on or after this date/time (UTC unless an offset is given).",
)
until_option = click.option(
    "--until",
    callback=_utc_bound,
    help="Only articles published up to this date (inclusive) or before this time.",
)
gdelt_option = click.option(
    "--gdelt/--no-gdelt",
    default=None,
    help="Discover articles through the GDELT DOC API too. Default: on with --since/--until.",
)
archive_option = click.option(
    "--archive/--no-archive",
    default=None,
    help="Read the outlets' feeds, sitemaps and pages gone live from web archives too. Default: on with --since/--until.",
)
no_topic_filter_option = click.option(
    "--no-topic-filter", is_flag=True, help="Keep off-topic articles too (still scored)."
)
set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_settings,
    help="Override a Scrapy setting, e.g. --set DOWNLOAD_DELAY=2 (repeatable).",
)
log_level_option = click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Scrapy's log level (INFO shows every dropped article and the stats).",
)
redis_option = click.option(
    "--redis",
    "redis_url",
    envvar="MONITOR_REDIS_URL",
    required=True,
    help="Redis URL of the shared queue, e.g. redis://queue-host:6379/0 (or set MONITOR_REDIS_URL).",
)
