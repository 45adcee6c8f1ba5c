"""Process-wide tuning shared by the long-running programs."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Take what startup made (modules, clients, the store) out of the garbage collector's
    sight. Every full collection otherwise walks all of it: under load that was a 46 ms pause
    every few seconds, and it set the p99 of a lookup (docs/benchmarks.md)."""
    gc.collect()
    gc.freeze()
