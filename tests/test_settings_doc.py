"""README's configuration tables are made from the declarations, and only from them."""

from __future__ import annotations

from common.config import PROGRAMS, Retired
from services.settings_doc import BEGIN, END, README, rendered, tables


def test_every_variable_a_program_reads_is_in_one_table_row() -> None:
    rows = [line for line in tables().splitlines() if line.startswith("| `")]
    documented = [row.split("`")[1] for row in rows]
    declared = {
        str(field.alias)
        for program in PROGRAMS
        for field in program.model_fields.values()
        if not any(isinstance(m, Retired) for m in field.metadata)
    }
    assert sorted(documented) == sorted(declared)  # each once, shared ones too
    assert "GLADLY_POSTS_PER_SECOND" not in documented  # retired: it only stops the program


def test_a_stale_table_is_rewritten_and_the_rest_kept() -> None:
    stale = f"intro\n{BEGIN}\n| `GONE` | `1` | a setting nobody reads |\n{END}\noutro\n"
    fresh = rendered(stale)
    assert "GONE" not in fresh
    assert fresh.startswith(f"intro\n{BEGIN}\n") and fresh.endswith(f"{END}\noutro\n")
    assert "`ACTIONS_DEADLINE_SECONDS`" in fresh


def test_readme_is_current() -> None:
    current = README.read_text(encoding="utf-8")
    assert rendered(current) == current
