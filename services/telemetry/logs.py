"""Structured logs: one JSON object per line, naming the trace and span it was written in.

The logging instrumentation (installed by `setup.configure`) stamps every record with the
current trace and span ids and the service name when it is created; this formatter writes them
as `trace_id`, `span_id` and `service`. Fields passed with `extra={...}` become fields of the
line, so a request's or an RPC's line carries its method, outcome and duration as data.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

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


# httpx logs every request's full URL at INFO, query string included (`?email=…`); the client
# spans record each request already, with the query redacted.
QUIETER: Final = {"httpx": logging.WARNING}


def configure_logging() -> None:
    """JSON lines on stderr at INFO for the whole process (uvicorn's loggers included)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    quiet_chatty_loggers()


def quiet_chatty_loggers() -> None:
    for name, level in QUIETER.items():
        logging.getLogger(name).setLevel(level)
