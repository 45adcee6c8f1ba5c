"""Everything one sandbox instance holds, and the way back to its starting point."""

from __future__ import annotations

from services.ordergroove_sandbox.dates import Instant, system_instant, zone_clock
from services.ordergroove_sandbox.demo import CANCEL_REASONS, seed_demo
from services.ordergroove_sandbox.faults import Faults
from services.ordergroove_sandbox.journal import Journal
from services.ordergroove_sandbox.store import Store
from services.ordergroove_sandbox.switches import Switches


class Sandbox:
    def __init__(
        self,
        api_key: str,
        public_url: str,
        seed_demo: bool = True,
        instant: Instant = system_instant,
    ) -> None:
        self.api_key = api_key
        self.public_url = public_url  # where browsers reach this sandbox (its products' pictures)
        self.seed_demo = seed_demo
        self.clock = zone_clock(instant)
        self.faults = Faults()
        self.journal = Journal()
        self.switches = Switches()
        self.store = self._fresh_store()

    def reset(self) -> None:
        """Data back to the seed, no faults, the switches as they start, empty journal."""
        self.switches = Switches()
        self.store = self._fresh_store()
        self.faults.clear()
        self.journal.clear()

    def _fresh_store(self) -> Store:
        store = Store(self.clock, self.switches)
        # The merchant's reasons are configuration, not demo data: present in every store.
        store.cancel_reasons = list(CANCEL_REASONS)
        if self.seed_demo:
            seed_demo(store, self.public_url)
        return store
