"""`actions-service audit`: recent audit rows and the timeline entries not yet delivered."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any, TextIO

from services.actions_service.store import Store
from services.actions_service.store.rows import AuditEntry, OutboxEntry

AUDIT_COLUMNS = (
    "at",
    "who",
    "action",
    "customer_id",
    "subscription_id",
    "order_id",
    "outcome",
    "reason",
    "ordergroove_status",
    "request_id",
    "trace_id",
    "change",
)
OUTBOX_COLUMNS = (
    "state",
    "attempts",
    "created_at",
    "next_attempt_at",
    "gladly_customer_id",
    "item_id",
    "request_id",
    "last_error",
)


async def show(
    store_url: str, out: TextIO, *, as_json: bool, limit: int, failed_only: bool
) -> None:
    store = await Store.open(store_url)
    try:
        audit = await store.audit.recent(limit, failed_only)
        backlog = await store.outbox.backlog(limit, failed_only)
    finally:
        await store.close()
    if as_json:
        json.dump(
            {"audit": [_json(entry) for entry in audit], "outbox": [_json(e) for e in backlog]},
            out,
            indent=2,
        )
        out.write("\n")
        return
    out.write(f"Audit log ({'failed, ' if failed_only else ''}newest first)\n")
    out.write(_table(AUDIT_COLUMNS, [_json(entry) for entry in audit]))
    out.write(f"\nTimeline entries {'given up' if failed_only else 'not delivered'}\n")
    out.write(_table(OUTBOX_COLUMNS, [_json(entry) for entry in backlog]))


def _json(row: AuditEntry | OutboxEntry) -> dict[str, Any]:
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in asdict(row).items()
    }


def _table(columns: Sequence[str], rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "(none)\n"
    cells = [[_cell(row[column]) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)
    ]
    lines = [columns, *cells]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        + "\n"
        for line in lines
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 60 else text[:57] + "..."
