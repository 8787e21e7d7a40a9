"""When Qt cannot open the window on Linux, ``qadesk`` says so in one plain line and exits 1.

Each failure is made for real, not mocked: no display in the environment; an empty file named like a
library Qt's xcb plugin links to, first on LD_LIBRARY_PATH (the dynamic linker finds it and cannot
load it, exactly as if the package were missing or broken); the plugin copied away from Qt's
libraries. Where a test shows Qt's own behaviour in the same environment (an abort with its long
message), that is the behaviour qadesk's check replaces.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qadesk.ui import platform_check
from qadesk.ui.platform_check import (
    PLATFORM_LIBRARIES,
    PREFIX,
    install_advice,
    plugin_file,
    window_problem,
)

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's xcb and wayland plugins are Linux's")

DISPLAY_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "QT_QPA_PLATFORM", "QT_QPA_PLATFORM_PLUGIN_PATH",
                "LD_LIBRARY_PATH", "XDG_RUNTIME_DIR")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DISPLAY_VARS and not k.startswith("QADESK_PASSPHRASE")}
    env.update(QADESK_DATA_DIR=str(tmp_path / "data"), **extra)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=120)


def qadesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return _run(["-m", "qadesk", *args], env)


def bare_qt(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """What Qt alone does in ``env``: a QApplication and nothing else."""
    return _run(["-c", "from PySide6.QtWidgets import QApplication; QApplication([])"], env)


def one_plain_line(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 1, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(PREFIX)
    assert "qt.qpa" not in r.stderr and "Aborted" not in r.stderr and r.stdout == ""
    return lines[0]


def test_xcb_without_a_display_is_one_plain_line_not_qts_abort(tmp_path: Path) -> None:
    env = _env(tmp_path, QT_QPA_PLATFORM="xcb")
    line = one_plain_line(qadesk(env))
    assert line == (PREFIX + "no X display found (DISPLAY is not set). Start qadesk inside a desktop session; "
                    "the command line works without one (qadesk --help).")
    assert not (tmp_path / "data").exists()  # nothing was created before the refusal
    qt = bare_qt(env)
    assert qt.returncode != 0 and "qt.qpa" in qt.stderr  # what a person saw before


def test_no_display_of_any_kind_names_both_variables(tmp_path: Path) -> None:
    line = one_plain_line(qadesk(_env(tmp_path)))
    assert "no display found (DISPLAY and WAYLAND_DISPLAY are not set)" in line


def test_a_missing_xcb_library_is_named_with_the_command_that_installs_it(tmp_path: Path) -> None:
    broken = tmp_path / "lib"
    broken.mkdir()
    (broken / "libxcb-cursor.so.0").write_bytes(b"")  # found first by the dynamic linker, and unloadable
    env = _env(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=":0", LD_LIBRARY_PATH=str(broken))
    line = one_plain_line(qadesk(env))
    if shutil.which("apt-get"):
        command = line.split("Install ", 1)[1]
        assert re.fullmatch(r"(it|them) with: sudo apt-get install [a-z0-9. -]+", command), line
        assert "libxcb-cursor0" in command.split(": ", 1)[1].split()
    else:
        assert "libxcb-cursor.so.0" in line
    qt = bare_qt(env)
    assert qt.returncode != 0 and "xcb" in qt.stderr  # Qt itself cannot load its plugin here


def _ldd_missing(path: Path) -> list[str]:
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=True).stdout
    return sorted({m.group(1) for m in re.finditer(r"^\s*(\S+) => not found", out, re.M)})


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd to know the truth independently")
def test_an_unreachable_display_or_the_libraries_ldd_finds_missing(tmp_path: Path) -> None:
    """DISPLAY names a server that is not there: the libraries are reported first if any is missing
    (as ldd sees them), otherwise the silent display."""
    plugin = plugin_file("xcb", {})
    assert plugin is not None
    not_found = _ldd_missing(plugin)
    missing = [s for s in PLATFORM_LIBRARIES["xcb"] if s in not_found]  # in the order the check tries them
    line = one_plain_line(qadesk(_env(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=":97")))
    if missing:
        assert line == PREFIX + install_advice(missing)
    else:
        assert line == PREFIX + "the X display :97 (DISPLAY) does not answer. Start qadesk inside the desktop session."


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd to know the truth independently")
def test_a_plugin_that_cannot_find_its_libraries_names_the_first_one(tmp_path: Path) -> None:
    """The xcb plugin copied away from Qt's lib folder (its RUNPATH is $ORIGIN/../../lib)."""
    real = plugin_file("xcb", {})
    assert real is not None
    folder = tmp_path / "platforms"
    folder.mkdir()
    copy = folder / real.name
    shutil.copy2(real, copy)
    not_found = _ldd_missing(copy)
    assert "libQt6XcbQpa.so.6" in not_found
    # No list of system libraries to name: the one dlopen stumbled on is named.
    probe = _run(["-c", "import sys; from pathlib import Path; from qadesk.ui.platform_check import plugin_problem;"
                        "print(plugin_problem(Path(sys.argv[1]), {}))", str(copy)], _env(tmp_path))
    said = probe.stdout.strip()
    named = [lib for lib in not_found if lib in said or platform_check.PACKAGES.get(lib, "?") in said]
    assert len(named) == 1, said
    if named[0].startswith("libQt6"):
        assert said == (f"Qt's own library {named[0]} is missing or damaged (cannot open shared object file). "
                        "Reinstall qadesk (pip install --force-reinstall PySide6-Essentials).")
    # Qt reads QT_QPA_PLATFORM_PLUGIN_PATH too, so the window's check looks at this copy.
    assert plugin_file("xcb", {"QT_QPA_PLATFORM_PLUGIN_PATH": str(folder)}) == copy


def test_the_check_keeps_out_of_the_way_where_the_window_can_open(tmp_path: Path) -> None:
    assert window_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert window_problem({"QT_QPA_PLATFORM": "minimal"}) is None
    assert window_problem({"QT_QPA_PLATFORM": "vnc"}) is None
    assert window_problem({}, self_test=True) is None  # the self-test runs offscreen
    assert window_problem({}) is not None and window_problem({"QT_QPA_PLATFORM": "xcb"}) is not None
    # The real start path: --self-test with no display and no platform chosen runs offscreen.
    r = qadesk(_env(tmp_path), "--self-test")
    assert r.returncode == 0 and "self-test passed" in r.stdout, r.stderr
