"""The production package holds what runs in production, and runs without the rest.

The wheel (what the Dockerfile's production stage installs) is built here from the working tree,
offline with the development environment's hatchling, unpacked, and its programs imported from
it alone: the repository's own modules are out of reach, so a production module that imported a
sandbox or the dev stack would fail here. The development environment keeps every command.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_SCRIPTS = {"actions-service", "actions-gateway"}
SANDBOX_SCRIPTS = {"ordergroove-sandbox", "gladly-sandbox"}
# Modules that serve development only: the sandboxes, `make run`, README's generator.
DEVELOPMENT_ONLY = (
    "services/ordergroove_sandbox/",
    "services/gladly_sandbox/",
    "services/devstack.py",
    "services/settings_doc.py",
    "services/postgres_scratch.py",
)


def build_wheel(project: Path, into: Path) -> Path:
    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", into],
        cwd=project,
        check=True,
        capture_output=True,
    )
    (wheel,) = into.glob("*.whl")
    return wheel


def console_scripts(wheel: zipfile.ZipFile) -> dict[str, str]:
    (name,) = (n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
    text = wheel.read(name).decode()
    return dict(re.findall(r"^(\S+) = (\S+)$", text, re.MULTILINE))


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The production wheel's files, and its console scripts."""
    where = tmp_path_factory.mktemp("wheel")
    with zipfile.ZipFile(build_wheel(ROOT, where)) as wheel:
        wheel.extractall(where / "site")
        return where / "site", console_scripts(wheel)


def import_from(site: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` with `site` first on the path and the repository out of it: `common`,
    `services`, `gateway` and `actions` are regular packages, so the first found is the only
    one searched."""
    return subprocess.run(  # noqa: S603 - this interpreter, the test's own code
        [sys.executable, "-P", "-c", textwrap.dedent(code)],
        cwd=site,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_wheel_holds_no_sandbox_nor_dev_stack(
    unpacked: tuple[Path, dict[str, str]],
) -> None:
    site, scripts = unpacked
    files = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()]
    assert [f for f in files if f.startswith(DEVELOPMENT_ONLY)] == []
    assert {f.split("/")[0] for f in files if not f.split("/")[0].endswith(".dist-info")} == {
        "common",
        "services",
        "gateway",
        "actions",
    }
    assert set(scripts) == PRODUCTION_SCRIPTS


def test_the_production_programs_run_from_the_wheel_alone(
    unpacked: tuple[Path, dict[str, str]],
) -> None:
    site, scripts = unpacked
    check = import_from(
        site,
        f"""
        import importlib, pathlib, sys
        site = pathlib.Path.cwd()
        for path in sorted(site.rglob("*.py")):
            if not (path.parent / "__init__.py").exists():
                continue  # a migration script: alembic runs it (the audit command below does)
            module = ".".join(path.relative_to(site).with_suffix("").parts)
            importlib.import_module(module.removesuffix(".__init__"))
        for target in {sorted(scripts.values())!r}:
            module, _, function = target.partition(":")
            assert callable(getattr(importlib.import_module(module), function)), target
        ours = [m for m in sys.modules.values() if m.__name__.split(".")[0]
                in ("common", "services", "gateway", "actions") and getattr(m, "__file__", None)]
        outside = [m.__name__ for m in ours if not pathlib.Path(m.__file__).is_relative_to(site)]
        assert not outside, outside
        try:
            import services.gladly_sandbox
        except ModuleNotFoundError:
            pass
        else:
            raise AssertionError("the repository's sandbox was reachable")
        """,
    )
    assert check.returncode == 0, check.stderr
    # The audit command migrates a new store: the migrations are in the wheel too.
    audit = import_from(
        site,
        f"""
        import os
        os.environ["STORE_URL"] = "sqlite:///{site}/var/actions.db"
        from services.actions_service.server import main
        main(["audit"])
        """,
    )
    assert audit.returncode == 0, audit.stderr
    assert audit.stdout.startswith("Audit log"), audit.stdout


def test_the_compose_sandbox_image_runs_the_sandboxes_beside_the_production_package(
    unpacked: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """What the Dockerfile's `sandboxes` stage copies beside the production package is enough
    for both sandboxes."""
    copied = re.search(r'cp -r (.+?) "\$package/"', (ROOT / "Dockerfile").read_text())
    assert copied is not None
    site = tmp_path / "site"
    shutil.copytree(unpacked[0], site)
    for name in copied.group(1).split():
        source = ROOT / name
        target = site / "services" / source.name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    with zipfile.ZipFile(build_wheel(ROOT / "devtools", tmp_path)) as devtools:
        scripts = console_scripts(devtools)
    assert set(scripts) == SANDBOX_SCRIPTS
    modules = sorted({target.partition(":")[0] for target in scripts.values()})
    check = import_from(site, f"import importlib\nfor m in {modules!r}: importlib.import_module(m)")
    assert check.returncode == 0, check.stderr


def test_the_development_environment_has_every_command() -> None:
    bin_dir = Path(sys.executable).parent
    missing = [s for s in PRODUCTION_SCRIPTS | SANDBOX_SCRIPTS if not (bin_dir / s).exists()]
    assert missing == []
