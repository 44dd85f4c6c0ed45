"""The documentation keeps up with the code: every `monitor` command and sub-command is shown in
README.md or docs/*.md, every MONITOR_* setting and environment variable is in
docs/configuration.md, and every relative link of the README and docs/ leads to a file."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from tests.conftest import ROOT

DOCS = ROOT / "docs"
README = ROOT / "README.md"
CONFIGURATION = DOCS / "configuration.md"
# Where the code reads the environment: the package's own folders (scraper/ is media_monitor).
CODE_FOLDERS = (ROOT / "scraper", ROOT / "spiders", ROOT / "db")
# os.environ.get("MONITOR_X"), os.environ["MONITOR_X"], os.environ.setdefault("MONITOR_X"),
# os.getenv("MONITOR_X"), and click's envvar="MONITOR_X" (or a list of them).
ENV_READS = re.compile(
    r"""(?:environ(?:\.get|\.setdefault)?\s*[\(\[]\s*|getenv\s*\(\s*|envvar\s*=\s*[\[\(]?\s*)["'](MONITOR_\w+)["']"""
)
ENVVAR_LISTS = re.compile(r"""envvar\s*=\s*[\[\(]([^\]\)]*)[\]\)]""")


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def all_docs_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in doc_files())


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and sub-command of a click group, as name paths: ("sources", "check")."""
    found = []
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, click.Group):
            found += command_paths(command, path)
    return found


def monitor_commands() -> list[str]:
    from media_monitor.cli import cli  # imported here: the CLI is one module or a package

    return [" ".join(path) for path in command_paths(cli)]


def test_the_cli_walk_finds_the_commands_and_sub_commands():
    commands = monitor_commands()
    assert {"crawl", "demo", "sources", "sources check"} <= set(commands), commands


def test_every_cli_command_is_documented():
    text = all_docs_text()
    missing = [
        f"monitor {command}"
        for command in monitor_commands()
        if not re.search(rf"(?<![\w-])monitor {re.escape(command)}(?![\w-])", text)
    ]
    assert not missing, f"not shown in README.md or docs/*.md (give each an example): {missing}"


def settings_names() -> list[str]:
    import media_monitor.settings as settings

    return [name for name in dir(settings) if name.startswith("MONITOR_")]


def environment_names() -> list[str]:
    """MONITOR_* environment variables read anywhere in the code."""
    names: set[str] = set()
    for folder in CODE_FOLDERS:
        for path in sorted(folder.rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            names.update(ENV_READS.findall(source))
            for listed in ENVVAR_LISTS.findall(source):
                names.update(re.findall(r"""["'](MONITOR_\w+)["']""", listed))
    return sorted(names)


def test_the_environment_scan_finds_what_the_code_reads():
    # Read in settings.py (os.environ.get) and by the CLI's options (envvar=) alike.
    assert {"MONITOR_DB", "MONITOR_CONTACT", "MONITOR_REDIS_URL", "MONITOR_WORKER_ID"} <= set(environment_names())
    assert ENV_READS.findall('x = os.environ.get("MONITOR_A"); click.option("--b", envvar="MONITOR_B")') == [
        "MONITOR_A",
        "MONITOR_B",
    ]


def test_every_setting_and_environment_variable_is_in_the_configuration_reference():
    text = CONFIGURATION.read_text(encoding="utf-8")
    names = sorted(set(settings_names()) | set(environment_names()))
    missing = [name for name in names if not re.search(rf"(?<!\w){name}(?!\w)", text)]
    assert not missing, f"read by the code or defined in settings.py, not in docs/configuration.md: {missing}"


FENCED = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
INLINE_CODE = re.compile(r"`[^`\n]*`")
INLINE_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def relative_links(path: Path) -> list[str]:
    text = INLINE_CODE.sub("", FENCED.sub("", path.read_text(encoding="utf-8")))
    targets = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
    return [t for t in targets if not re.match(r"^([a-z][a-z0-9+.-]*:|#|//)", t, re.I)]


def test_the_link_scan_sees_links():
    assert "docs/architecture.md" in relative_links(README)


def heading_anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings: lower case, punctuation dropped,
    spaces made hyphens."""
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", FENCED.sub("", path.read_text(encoding="utf-8")), re.M)
    return {re.sub(r"[^\w\- ]", "", h.replace("`", "").lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("path", doc_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file(path):
    broken = []
    for target in relative_links(path):
        file, _, anchor = target.partition("#")
        linked = path.parent / file.split("?", 1)[0]
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md" and anchor not in heading_anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{path.relative_to(ROOT)} links to missing files or headings: {broken}"


def test_the_readme_lists_every_document():
    linked = {(README.parent / target.split("#", 1)[0]).resolve() for target in relative_links(README)}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"README.md's Documentation list lacks {missing}"
