"""The configuration a long-running scheduler crawls with: its sources and topic files, copied
aside each time they validate. A file broken while the scheduler runs (a typo saved in an
editor) is reported once, as one line, and the copy of its last good version goes on being
crawled; fixed, it is taken up at the next tick. Without it the scheduler died on the file
(and, under systemd's Restart=, started and died again every minute).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from media_monitor.config.files import decode, read_bytes
from media_monitor.config.sources import SourcesError, parse_sources, select_outlets, sources_path
from media_monitor.story.topic import DEFAULT_TOPIC, TopicError, parse_topic

logger = logging.getLogger(__name__)


@dataclass
class LastGoodConfig:
    folder: Path  # where the good copies are kept: <db>-schedule beside the database
    sources: Path
    topic: Path
    outlets: list[str] = field(default_factory=list)  # --outlet: the file must still have them
    names: list[str] = field(default_factory=list)  # the outlets to schedule, from the last good file
    _reported: dict[str, str] = field(default_factory=dict)  # kind -> the problem logged last

    @classmethod
    def create(
        cls,
        db: str | os.PathLike,
        sources: str | os.PathLike | None,
        topic: str | os.PathLike | None,
        outlets: list[str],
    ) -> LastGoodConfig:
        """Copy the files aside; SourcesError or TopicError when one is bad from the start."""
        config = cls(
            folder=Path(str(Path(db).resolve()) + "-schedule"),
            sources=sources_path(sources),
            topic=Path(topic or os.environ.get("MONITOR_TOPIC") or DEFAULT_TOPIC),
            outlets=list(outlets),
        )
        for kind in ("sources", "topic"):
            config._check(kind)
        return config

    def copy(self, kind: str) -> Path:
        """The last good copy; it keeps the file's name (a topic without ``name`` is named by it)."""
        return self.folder / kind / getattr(self, kind).name

    def _check(self, kind: str) -> None:
        """Validate the file and copy it aside; raise when it is bad."""
        path = getattr(self, kind)
        error = SourcesError if kind == "sources" else TopicError
        data = read_bytes(path, kind, error)  # read once: the bytes checked are the bytes copied
        text = decode(data, path, kind, error)
        if kind == "sources":
            names = [o.name for o in select_outlets(parse_sources(text, str(path)), self.outlets, path)]
        else:
            parse_topic(text, str(path))
        copy = self.copy(kind)
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(copy.name + ".part")
        partial.write_bytes(data)
        partial.replace(copy)  # a crawl starting now reads the old copy or the new one, whole
        if kind == "sources":
            self.names = names

    def refresh(self) -> None:
        """Take up the files as they are now, or keep the last good copies, logging a problem once."""
        for kind in ("sources", "topic"):
            try:
                self._check(kind)
            except (SourcesError, TopicError) as exc:
                problem = "; ".join(str(exc).splitlines())
                if self._reported.get(kind) != problem:
                    logger.error("%s; crawling with the last good %s file (%s)", problem, kind, self.copy(kind))
                    self._reported[kind] = problem
            else:
                if self._reported.pop(kind, None):
                    logger.warning("%s is valid again: crawling with it", getattr(self, kind))

    def crawl_options(self) -> list[str]:
        """`monitor crawl`'s options that make it read the good copies."""
        return ["--sources", str(self.copy("sources")), "--topic", str(self.copy("topic"))]
