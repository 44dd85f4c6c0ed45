"""The project installs as one package, media_monitor, that carries everything it serves.

The first tests read the checkout; those marked ``installed`` read the installed distribution
and need a regular install (`pip install .`, as CI does): an editable install keeps the files
in the checkout, where they prove nothing about a wheel.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

import media_monitor
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
FOLDERS = {"media_monitor": "scraper", "media_monitor.spiders": "spiders", "media_monitor.db": "db"}
INSTALLED = Path(media_monitor.__file__).resolve().parent
EDITABLE = INSTALLED == ROOT / "scraper"  # the package is the checkout's folder, not a copy of it
# The distribution where media_monitor was imported from: the checkout may also hold the
# media_monitor.egg-info a build leaves there, which importlib would find first on sys.path.
DISTRIBUTION = next(
    (
        d
        for d in importlib.metadata.distributions(path=[str(INSTALLED.parent)])
        if d.metadata["Name"] == "media-monitor"
    ),
    None,
) or importlib.metadata.distribution("media-monitor")
installed = pytest.mark.skipif(EDITABLE, reason="an editable install: run `pip install .` to test the wheel's contents")


def _package_of(folder: Path) -> str:
    """The import name of a source folder, through pyproject's package-dir."""
    for name, top in sorted(FOLDERS.items(), key=lambda kv: -len(kv[0])):
        if folder == ROOT / top or folder.is_relative_to(ROOT / top):
            rest = folder.relative_to(ROOT / top).parts
            return ".".join([name, *rest])
    raise AssertionError(f"{folder} is outside the package folders")


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {_package_of(init.parent) for top in FOLDERS.values() for init in (ROOT / top).rglob("__init__.py")}
    assert found == listed


def test_the_package_dir_maps_the_three_folders_into_one_package():
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == FOLDERS


def test_the_version_is_kept_in_one_place():
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert DISTRIBUTION.version == media_monitor.__version__


def _imported_top_names() -> set[str]:
    names = set()
    for top in FOLDERS.values():
        for path in (ROOT / top).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"media_monitor", "__future__"}


def _requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_every_directly_imported_package_is_declared():
    declared = {_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    providers = importlib.metadata.packages_distributions()
    undeclared = {
        name: providers.get(name)
        for name in _imported_top_names()
        if not {d.lower().replace("_", "-") for d in providers.get(name, [])} & declared
    }
    assert undeclared == {}


@installed
def test_the_distribution_installs_only_media_monitor():
    files = DISTRIBUTION.files or []
    tops = {f.parts[0] for f in files if f.parts[0] not in ("..",) and not f.parts[0].endswith(".dist-info")}
    assert tops == {"media_monitor"}


@installed
@pytest.mark.parametrize(
    "data_file",
    [
        "config/sources.toml",
        "config/topics/karabakh_peacekeepers.toml",
        "db/metadata.yaml",
        "db/data-dictionary.md",
        "web/templates/_table.html",
        "samplesite/manifest.toml",
        "samplesite/outlets.toml",
        "samplesite/gdelt/artlist.json",
        "samplesite/site/robots.txt",
        "py.typed",
    ],
)
def test_the_installed_package_carries_its_data(data_file):
    assert (INSTALLED / data_file).is_file()


@installed
def test_the_installed_sample_site_is_the_checkouts():
    source = sorted(p.relative_to(ROOT / "scraper").as_posix() for p in (ROOT / "scraper/samplesite/site").rglob("*"))
    copied = sorted(p.relative_to(INSTALLED).as_posix() for p in (INSTALLED / "samplesite/site").rglob("*"))
    assert [p for p in copied if "__pycache__" not in p] == source
