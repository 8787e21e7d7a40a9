"""The arrows point one way: nothing below qadesk/ui imports Qt, and nothing anywhere runs eval or exec."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.helpers.package import PACKAGE, ROOT, modules_of

QT_FREE = ("core", "store", "services", "exchange")


def test_there_are_modules_to_check() -> None:
    assert "qadesk.core.template" in modules_of("core")
    assert "qadesk.services.audits" in modules_of("services")


def test_importing_every_non_ui_module_loads_no_qt() -> None:
    # The command line too (qadesk.cli, its commands and qadesk.commandline, the parser the window
    # shares): it opens the window only when asked to, so importing it must not load Qt.
    command_line = [f"qadesk.{path.stem}" for path in sorted(PACKAGE.glob("*.py")) if path.stem.startswith(("cli", "commandline"))]
    assert {"qadesk.cli", "qadesk.commandline", "qadesk.cli_data"} <= set(command_line)
    names = [m for part in QT_FREE for m in modules_of(part)] + command_line
    script = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'))\n"
        "print('\\n'.join(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, f"Qt was imported by a non-ui module:\n{proc.stdout}{proc.stderr}"


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def test_no_source_below_ui_mentions_a_qt_import() -> None:
    offenders = []
    for part in QT_FREE:
        for path in sorted((PACKAGE / part).rglob("*.py")):
            for name in _imports(path):
                if name.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6"):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
            text = path.read_text("utf-8")
            for needle in ("import PySide6", "from PySide6"):
                if needle in text:
                    offenders.append(f"{path.relative_to(ROOT)}: '{needle}'")
    assert offenders == []


def test_no_eval_or_exec_anywhere_in_qadesk() -> None:
    # Python's eval/exec are builtins called by name (or through the builtins module); ``app.exec()``
    # on a Qt object runs an event loop and is not a concern.
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"), str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            by_name = isinstance(func, ast.Name) and func.id in ("eval", "exec")
            via_builtins = (isinstance(func, ast.Attribute) and func.attr in ("eval", "exec")
                            and isinstance(func.value, ast.Name) and func.value.id == "builtins")
            if by_name or via_builtins:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
