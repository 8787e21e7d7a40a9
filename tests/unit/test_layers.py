"""The layering contracts of pyproject.toml ([tool.importlinter]) hold, and they would catch a break.

``lint-imports`` runs here as in .ci/run, so the normal test run enforces the arrows too; a fresh
interpreter shows that the modules the contracts keep free of SQLAlchemy load none of it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.package import PACKAGE, ROOT, modules_of

LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the package found from ``cwd`` (with the pyproject.toml there)."""
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--no-logo"], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_the_contracts_are_the_documented_ones() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
    contracts = {c["id"]: c for c in config["contracts"]}
    assert set(contracts) == {"layers", "ui-is-no-command", "no-sqlalchemy-in-core-or-exchange", "qt-only-in-ui",
                              "acyclic"}
    layers = contracts["layers"]["layers"]
    order = [name for layer in layers for name in layer.replace(":", "|").split("|")]
    order = [name.strip() for name in order]
    for higher, lower in (("qadesk.ui", "qadesk.services"), ("qadesk.services", "qadesk.store"),
                          ("qadesk.services", "qadesk.exchange"), ("qadesk.store", "qadesk.core"),
                          ("qadesk.exchange", "qadesk.core"), ("qadesk.cli", "qadesk.ui"),
                          ("qadesk.ui", "qadesk.commandline")):
        assert order.index(higher) < order.index(lower), (higher, lower)
    assert "qadesk.store | qadesk.exchange" in layers  # store and exchange never import each other
    qt_free = set(contracts["qt-only-in-ui"]["source_modules"])
    assert {"qadesk.core", "qadesk.store", "qadesk.services", "qadesk.exchange", "qadesk.commandline"} <= qt_free


def test_lint_imports_keeps_every_contract() -> None:
    proc = lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


@pytest.mark.parametrize(("module", "line", "broken"), [
    ("exchange/display.py", "from qadesk.services.queries import Selection", "qadesk.exchange is not allowed to import qadesk.services"),
    ("exchange/output.py", "from sqlalchemy.orm import Session", "qadesk.exchange is not allowed to import sqlalchemy"),
    ("core/dates.py", "import PySide6", "qadesk.core is not allowed to import PySide6"),
    ("services/profile.py", "from qadesk.ui import widgets", "qadesk.services is not allowed to import qadesk.ui"),
    ("ui/screens.py", "from qadesk.cli_data import cmd_pack", "qadesk.ui is not allowed to import qadesk.cli_data"),
    # exchange.templates reads workbooks through exchange.safezip: the way back closes a cycle.
    ("exchange/safezip.py", "from qadesk.exchange import templates", "No cycles are allowed in qadesk.exchange"),
])
def test_lint_imports_fails_on_an_import_against_the_arrows(tmp_path: Path, module: str, line: str,
                                                             broken: str) -> None:
    # A copy of the package with one import added inside a function (grimp reads lazy imports too),
    # checked with the same pyproject.toml: the copy is found first from its own folder.
    shutil.copytree(PACKAGE, tmp_path / "qadesk", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "qadesk" / module
    target.write_text(target.read_text("utf-8") + f"\n\ndef _against_the_arrows() -> None:\n    {line}\n", "utf-8")
    proc = lint_imports(tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert broken in proc.stdout, proc.stdout


def test_importing_core_and_exchange_loads_no_sqlalchemy() -> None:
    names = modules_of("core", "exchange")
    assert "qadesk.exchange.packs" in names and "qadesk.core.figures" in names
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')\n"
        "             or m.startswith(('qadesk.store', 'qadesk.services', 'qadesk.ui')))\n"
        "print('\\n'.join(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, f"core or exchange loaded the store's layer:\n{proc.stdout}{proc.stderr}"
