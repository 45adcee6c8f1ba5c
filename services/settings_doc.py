"""README's configuration tables, made from the declarations in `common/config/`.

`python -m services.settings_doc` rewrites the part of README.md between the markers;
`--check` only says whether it is current (exit status 1 when not: `make lint` runs it).
"""

from __future__ import annotations

import argparse
import inspect
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from pydantic.fields import FieldInfo

from common.config import PROGRAMS, Address, Declared, Retired

README: Final = Path(__file__).resolve().parent.parent / "README.md"
BEGIN: Final = "<!-- settings: made by `python -m services.settings_doc`; edit common/config/ -->"
END: Final = "<!-- settings: end -->"


def own_fields(group: type[Declared]) -> list[tuple[str, FieldInfo]]:
    """The fields `group` itself declares (not its bases'), in declaration order."""
    declared = inspect.get_annotations(group)
    return [
        (name, field)
        for name, field in group.model_fields.items()
        if name in declared and not any(isinstance(m, Retired) for m in field.metadata)
    ]


def groups() -> Iterator[tuple[type[Declared], list[str]]]:
    """Each group of settings once, with the programs that read it: the shared groups first."""
    seen: dict[type[Declared], list[str]] = {}
    for program in PROGRAMS:
        for group in program.__mro__:
            if isinstance(group, type) and issubclass(group, Declared) and own_fields(group):
                seen.setdefault(group, []).append(_program_name(program))
    shared = [group for group, readers in seen.items() if group not in PROGRAMS]
    for group in [*shared, *PROGRAMS]:
        yield group, seen[group]


def shown_default(field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and extra.get("shown"):
        return str(extra["shown"])
    value: Any = field.default
    if value in ("", None, ()):
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, Address | str | int | float):
        return f"`{value}`"
    raise TypeError(f"{field.alias}: say how README shows its default (shown=...)")


def tables() -> str:
    lines: list[str] = []
    for group, readers in groups():
        lines += ["", f"#### {_title(group)}", ""]
        if group not in PROGRAMS:
            lines += [f"Read by {', '.join(f'`{reader}`' for reader in readers)}.", ""]
        lines += ["| variable | default | meaning |", "|---|---|---|"]
        for _, field in own_fields(group):
            meaning = (field.description or "").replace("|", "\\|")
            lines.append(f"| `{field.alias}` | {shown_default(field)} | {meaning} |")
    return "\n".join(lines) + "\n"


def rendered(readme: str) -> str:
    before, begin, rest = readme.partition(BEGIN)
    _, end, after = rest.partition(END)
    if not begin or not end:
        raise SystemExit(f"settings_doc: README.md lacks the markers {BEGIN!r} and {END!r}")
    return f"{before}{BEGIN}\n{tables()}\n{END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when README.md is stale")
    args = parser.parse_args()
    current = README.read_text(encoding="utf-8")
    wanted = rendered(current)
    if args.check:
        if wanted != current:
            print(
                "settings_doc: README.md's configuration tables are stale; "
                "run `python -m services.settings_doc`",
                file=sys.stderr,
            )
            return 1
        return 0
    if wanted != current:
        README.write_text(wanted, encoding="utf-8")
    return 0


def _program_name(program: type[Declared]) -> str:
    return _title(program).split(" ")[0]


def _title(group: type[Declared]) -> str:
    return (group.__doc__ or group.__name__).strip().splitlines()[0]


if __name__ == "__main__":
    sys.exit(main())
