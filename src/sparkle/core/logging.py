"""Structured logs: JSON lines (or a console renderer in development) with the request id, on
stderr and, when a file is given, appended to it too (`$SPARKLE_DATA_DIR/logs/sparkle.log`)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO, cast

import structlog


class _Tee:
    """A text stream writing each log line to several streams."""

    def __init__(self, *streams: TextIO | _Stderr) -> None:
        self.streams = streams

    def write(self, text: str) -> None:
        for stream in self.streams:
            stream.write(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


class _Stderr:
    """Whatever `sys.stderr` is at the time of each write: test runners swap and close it
    between tests, and a logger bound to a closed stream would raise."""

    def write(self, text: str) -> None:
        sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


_log_files: dict[Path, TextIO] = {}


def configure(level: str = "INFO", *, json: bool = True, log_file: Path | None = None) -> None:
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # PrintLogger only calls write() and flush(), which both stream wrappers provide.
        logger_factory=structlog.PrintLoggerFactory(cast(TextIO, _output(log_file))),
        # Not cached: a reconfiguration (new level or file) must reach module-level loggers.
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(message)s")


def _output(log_file: Path | None) -> _Stderr | _Tee:
    if log_file is None:
        return _Stderr()
    path = log_file.resolve()
    if path not in _log_files:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Line-buffered append: several worker processes may share the file. Kept open for the
        # life of the process, since loggers cached before a reconfiguration still write to it.
        _log_files[path] = path.open("a", encoding="utf-8", buffering=1)
    return _Tee(_Stderr(), _log_files[path])
