"""Logs: one JSON object per line by default (`LOG_FORMAT=json`), naming the trace and span it
was written in; or one short line for a person (`LOG_FORMAT=text`, what `make run` sets).

The logging instrumentation (installed by `setup.configure`) stamps every record with the
current trace and span ids and the service name when it is created; this formatter writes them
as `trace_id`, `span_id` and `service`. Fields passed with `extra={...}` become fields of the
line, so a request's or an RPC's line carries its method, outcome and duration as data.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, Final, TextIO

# What every LogRecord has; anything else on a record came from `extra`.
_STANDARD_FIELDS: Final = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}
# The logging instrumentation's record attributes, and the names they are written under.
_TRACE_FIELDS: Final = {"otelTraceID": "trace_id", "otelSpanID": "span_id"}
_DROPPED_FIELDS: Final = frozenset({"otelTraceSampled", "otelServiceName", *_TRACE_FIELDS})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        service = getattr(record, "otelServiceName", "")
        if service:
            line["service"] = service
        for attribute, name in _TRACE_FIELDS.items():
            value = getattr(record, attribute, "0")
            if value != "0":  # "0": logged outside any span
                line[name] = value
        line.update(
            (key, value)
            for key, value in record.__dict__.items()
            if key not in _STANDARD_FIELDS and key not in _DROPPED_FIELDS
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


# ANSI styles of the text format.
_RESET: Final = "\033[0m"
_DIM: Final = "\033[2m"
_BOLD: Final = "\033[1m"
_YELLOW: Final = "\033[33m"
_RED: Final = "\033[31m"
_PROGRAM_STYLE: Final = "\033[36m"  # cyan


class TextFormatter(logging.Formatter):
    """One short line for a person: the time, the program, the level when it is not INFO, the
    message and how long the request or the call took, e.g.

        14:02:07 actions-gateway  POST /actions/skip 200  48.1 ms
        14:02:07 actions-service  SkipNextOrder ok  41.9 ms

    The trace ids and the other fields stay in the JSON format; a failed answer (an HTTP 4xx or
    5xx, a warning) stands out in colour when `colour` is on."""

    def __init__(self, program: str, *, colour: bool) -> None:
        super().__init__()
        self.program = program
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        words = [self._paint(_DIM, when), self._paint(_PROGRAM_STYLE, f"{self.program:<16}")]
        if record.levelno != logging.INFO:
            words.append(self._paint(_level_style(record.levelno), record.levelname))
        words.append(self._paint(_message_style(record), record.getMessage()))
        duration = getattr(record, "duration_ms", None)
        if isinstance(duration, int | float):
            words.append(self._paint(_DIM, f" {duration:g} ms"))
        line = " ".join(words)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line

    def _paint(self, style: str, text: str) -> str:
        return f"{style}{text}{_RESET}" if self.colour and style else text


def _level_style(level: int) -> str:
    if level >= logging.ERROR:
        return _BOLD + _RED
    return _YELLOW if level >= logging.WARNING else _DIM


def _message_style(record: logging.LogRecord) -> str:
    status = getattr(record, "http.response.status_code", 0)
    if record.levelno >= logging.ERROR or (isinstance(status, int) and status >= 500):
        return _RED
    if record.levelno >= logging.WARNING or (isinstance(status, int) and status >= 400):
        return _YELLOW
    return ""


def wants_colour(stream: TextIO) -> bool:
    """Colour on a terminal, unless NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


# httpx logs every request's full URL at INFO, query string included (`?email=…`); the client
# spans record each request already, with the query redacted.
QUIETER: Final = {"httpx": logging.WARNING}


def configure_logging(
    log_format: str = "json", program: str = "", level: int = logging.INFO
) -> None:
    """Lines on stderr at `level` for the whole process (uvicorn's loggers included): JSON, or
    text for a person (`program` names the writer)."""
    handler = logging.StreamHandler(sys.stderr)
    formatter: logging.Formatter = (
        TextFormatter(program, colour=wants_colour(sys.stderr))
        if log_format == "text"
        else JsonFormatter()
    )
    handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    quiet_chatty_loggers()


def quiet_chatty_loggers() -> None:
    for name, level in QUIETER.items():
        logging.getLogger(name).setLevel(level)
