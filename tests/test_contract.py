"""The contract module is the one place of the facts both programs share: the gateway reads
nothing of the service's internals, and the service's enums name what the contract names."""

from __future__ import annotations

import ast
from pathlib import Path

from actions.contract import PERIODS, STATUS_NAMES, frequency_words
from services.actions_service.domain import Period, Status

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "gateway"
COMMON = ROOT / "common"


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_gateway_imports_nothing_of_the_services() -> None:
    """What both programs import is the API (`actions`: its messages and contract) and the
    plumbing of `common` (settings, telemetry, sockets), which holds no fact of the domain."""
    for path in sorted(GATEWAY.glob("*.py")):
        inside = {name for name in _imports(path) if name.split(".")[0] == "services"}
        assert not inside, f"{path.name} imports {inside}: shared facts go in actions.contract"


def test_common_imports_neither_program() -> None:
    for path in sorted(COMMON.rglob("*.py")):
        inside = {name for name in _imports(path) if name.split(".")[0] in ("services", "gateway")}
        assert not inside, f"{path} imports {inside}"


def test_the_services_enums_name_what_the_contract_names() -> None:
    assert {period.name.lower() for period in Period} == set(PERIODS)
    assert {status.value for status in Status} == set(STATUS_NAMES.values())


def test_a_frequency_in_words() -> None:
    assert frequency_words(1, "month") == "every month"
    assert frequency_words(6, "week") == "every 6 weeks"
    assert frequency_words(0, "week") == frequency_words(2, "") == ""
