"""`make screenshot`: docs/console.png, the agent console as a newcomer first sees it.

Starts the real local stack (`make run`'s programs) on free ports with a fresh store, opens the
demo customer in the system's Chromium, skips the vitamins' next order so that the notice and
the timeline show something, takes the picture and stops everything. Needs the dev extras
(Playwright) and /usr/bin/chromium.
"""

from __future__ import annotations

import os
import socket
import subprocess
import tempfile
from pathlib import Path

from services.devstack import (
    BIN,
    StackSettings,
    local_environment,
    programs,
    stop_all,
    wait_until_ready,
)
from services.gladly_sandbox.state import DEMO_CUSTOMER_ID
from services.ordergroove_sandbox.demo import DEMO_SUBSCRIPTION_IDS, Role

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path("docs/console.png")
WIDTH, HEIGHT = 1280, 960
TIMEOUT_MS = 15_000
LISTEN_VARIABLES = (
    "ORDERGROOVE_SANDBOX_LISTEN",
    "GLADLY_SANDBOX_LISTEN",
    "ACTIONS_GRPC_LISTEN",
    "GATEWAY_LISTEN",
    "METRICS_LISTEN",
)


def free_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        chosen = {name: free_address() for name in LISTEN_VARIABLES}
        chosen["STORE_URL"] = f"sqlite:///{scratch}/actions.db"
        chosen["GATEWAY_URL"] = f"http://{chosen['GATEWAY_LISTEN']}"
        os.environ.update(chosen)  # the stack's other addresses follow from these
        env = local_environment()
        settings = StackSettings.from_env(env)
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for program in programs(settings):
                process = subprocess.Popen(  # noqa: S603 - our own programs
                    [str(BIN / program.name)], env=env, stdout=subprocess.DEVNULL
                )
                processes.append(process)
                wait_until_ready(program, process)
            photograph(f"http://{settings.gladly_sandbox_listen}")
        finally:
            stop_all(processes)
    print(f"wrote {OUTPUT}")


def photograph(console_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright  # a dev dependency

    vitamins = f"article[data-subscription='{DEMO_SUBSCRIPTION_IDS[Role.VITAMINS]}']"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(
                base_url=console_url,
                viewport={"width": WIDTH, "height": HEIGHT},
            )
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"/customers/{DEMO_CUSTOMER_ID}")
            page.locator(vitamins).get_by_role("button", name="Skip Next Order").click()
            page.get_by_role("button", name="Skip order").click()
            expect(page.get_by_role("status")).to_be_visible()
            for _ in range(40):  # the timeline entry comes through the service's outbox
                if page.locator("ol.timeline li").count():
                    break
                page.wait_for_timeout(250)
                page.reload()
            OUTPUT.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT))
        finally:
            browser.close()


if __name__ == "__main__":
    main()
