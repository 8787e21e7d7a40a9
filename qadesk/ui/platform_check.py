"""Before the window starts on Linux: can Qt open it here? If not, one plain line says why.

Without this, a Linux system that lacks one of the X11 libraries Qt's ``xcb`` platform plugin needs
(a fresh Ubuntu lacks ``libxcb-cursor0``; a minimal one lacks a dozen), or that has no display at
all (an SSH session, a server), gets Qt's abort: "Could not load the Qt platform plugin "xcb" even
though it was found ... Available platform plugins are: ..." and a core dump. Here qadesk looks
first, the way the dynamic linker and Qt will, and says what to do instead:

    qadesk cannot open its window: the system libraries libxcb-cursor0 and libxcb-icccm4 are
    missing. Install them with: sudo apt-get install libxcb-cursor0 libxcb-icccm4

The checks, in order, for the platform Qt will use (``QT_QPA_PLATFORM``, else ``xcb``, or
``wayland`` then ``xcb`` in a Wayland session): is there a display to talk to; does the plugin load
(``ctypes``, as Qt's loader would) and, if a library it needs is missing, which of the system
libraries it links to cannot be loaded (each tried, so every missing one is named, not just the
first); does the X server answer. It never refuses a start
it is unsure about: another platform (``offscreen``, ``vnc``, ``eglfs``), another system than Linux,
a plugin it cannot find or an error it does not recognise are left to Qt.

Imports nothing from PySide6: the check runs before Qt's libraries are loaded, so that a missing
``libGL.so.1`` is reported in words too rather than as an ImportError.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

PREFIX = "qadesk cannot open its window: "

# The system libraries (soname -> Debian/Ubuntu package) that Qt's GUI libraries and its platform
# plugins link to, read from PySide6 6.x with `objdump -p` (NEEDED) and mapped with `dpkg -S`.
GUI_LIBRARIES = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libdbus-1.so.3": "libdbus-1-3",
}
XCB_LIBRARIES = {
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
WAYLAND_LIBRARIES = {
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
}
PACKAGES = {**GUI_LIBRARIES, **XCB_LIBRARIES, **WAYLAND_LIBRARIES}
PLATFORM_LIBRARIES = {"xcb": {**GUI_LIBRARIES, **XCB_LIBRARIES},
                      "wayland": {**GUI_LIBRARIES, **WAYLAND_LIBRARIES}}
PLUGIN_FILES = {"xcb": "libqxcb.so", "wayland": "libqwayland.so"}

# dlopen's words for "this library cannot be loaded at all" (other errors are left to Qt).
_UNLOADABLE = re.compile(r"(?P<lib>[^\s:/]+\.so[.\d]*): (?P<why>cannot open shared object file|file too short|"
                         r"invalid ELF header|wrong ELF class)")


# ---------------------------------------------------------------------- the parts


def unloadable_libraries(sonames: Iterable[str]) -> dict[str, str]:
    """The libraries among ``sonames`` that the dynamic linker cannot load: soname -> its reason."""
    failed: dict[str, str] = {}
    for soname in sonames:
        try:
            ctypes.CDLL(soname)
        except OSError as exc:
            failed[soname] = str(exc)
    return failed


def install_advice(sonames: Iterable[str]) -> str:
    """"the system library X is missing. Install it with: sudo apt-get install X" (or the file names)."""
    sonames = list(dict.fromkeys(sonames))
    packages = list(dict.fromkeys(PACKAGES.get(s, "") for s in sonames))
    apt = shutil.which("apt-get") is not None and all(packages)
    names = packages if apt else sonames
    what = (f"the system library {names[0]} is" if len(names) == 1
            else f"the system libraries {', '.join(names[:-1])} and {names[-1]} are")
    if apt:
        return f"{what} missing. Install {'it' if len(names) == 1 else 'them'} with: sudo apt-get install {' '.join(names)}"
    return f"{what} missing. Install {'it' if len(names) == 1 else 'them'} with the system's package manager."


def plugin_file(platform: str, env: Mapping[str, str]) -> Path | None:
    """Where Qt will find the platform plugin: QT_QPA_PLATFORM_PLUGIN_PATH, else PySide6's own folder."""
    name = PLUGIN_FILES[platform]
    folders = [Path(p) for p in env.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if p]
    spec = importlib.util.find_spec("PySide6")  # finds the package without importing it
    if spec is not None and spec.submodule_search_locations:
        folders += [Path(p) / "Qt" / "plugins" / "platforms" for p in spec.submodule_search_locations]
    return next((f / name for f in folders if (f / name).is_file()), None)


def plugin_problem(path: Path, libraries: Mapping[str, str]) -> str | None:
    """Why the plugin at ``path`` cannot be loaded (a library it needs is missing), or None.

    When it cannot, every one of ``libraries`` (soname -> package) the linker cannot load is named,
    not only the first one dlopen stumbled on; a library outside that list is named on its own.
    """
    try:
        ctypes.CDLL(str(path))
    except OSError as exc:
        # In the PyInstaller app ctypes raises its own error, with the linker's words as the cause.
        found = _UNLOADABLE.search(f"{exc} {exc.__cause__ or ''}")
        if found is None:
            return None  # not a missing library: Qt may still manage, or will say why itself
        missing = unloadable_libraries(libraries)
        if missing:
            return install_advice(missing)
        lib = found.group("lib")
        if lib in PACKAGES:
            return install_advice([lib])
        if lib.startswith("libQt6") or lib.startswith("libicu"):
            return (f"Qt's own library {lib} is missing or damaged ({found.group('why')}). "
                    "Reinstall qadesk (pip install --force-reinstall PySide6-Essentials).")
        return f"the library {lib} that Qt's {path.stem[4:]} plugin needs is missing. Install the package that provides it."
    return None


def x_display_problem(display: str) -> str | None:
    """None when the X server at ``display`` answers (libxcb's xcb_connect, as Qt's plugin does)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None  # reported with the libraries
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    try:
        if conn and xcb.xcb_connection_has_error(conn) == 0:
            return None
    finally:
        if conn:
            xcb.xcb_disconnect(conn)
    return f"the X display {display} (DISPLAY) does not answer. Start qadesk inside the desktop session."


# ---------------------------------------------------------------------- the decision


def _has_display(platform: str, env: Mapping[str, str]) -> bool:
    if platform == "xcb":
        return bool(env.get("DISPLAY"))
    if env.get("WAYLAND_DISPLAY"):
        return True
    runtime = env.get("XDG_RUNTIME_DIR")
    return bool(runtime and Path(runtime, "wayland-0").exists())


def _platforms(env: Mapping[str, str], self_test: bool) -> list[str] | None:
    """The platforms Qt will try, in order; None when one of them is not a display (offscreen...)."""
    chosen = env.get("QT_QPA_PLATFORM", "").strip()
    if not chosen:
        if self_test:
            return None  # the self-test runs offscreen
        return ["wayland", "xcb"] if env.get("XDG_SESSION_TYPE") == "wayland" else ["xcb"]
    names = [n.split(":", 1)[0].strip() for n in chosen.split(";") if n.strip()]
    names = ["wayland" if n == "wayland-egl" else n for n in names]
    return names if names and all(n in PLUGIN_FILES for n in names) else None


def _platform_problem(platform: str, env: Mapping[str, str]) -> str | None:
    path = plugin_file(platform, env)
    if path is None:
        return None  # Qt looks in more places than PySide6's folder (a packaged app, QT_PLUGIN_PATH): let it
    problem = plugin_problem(path, PLATFORM_LIBRARIES[platform])
    if problem is None and platform == "xcb":
        problem = x_display_problem(env.get("DISPLAY", ""))
    return problem


def window_problem(env: Mapping[str, str] | None = None, *, self_test: bool = False) -> str | None:
    """Why Qt cannot open the window here, and what to do (without PREFIX); None if it can (or may).

    The text ends with a full stop, or with the command to run (nothing after it, so it can be copied).
    """
    env = os.environ if env is None else env
    if not sys.platform.startswith("linux"):
        return None
    platforms = _platforms(env, self_test)
    if platforms is None:
        return None
    reached = [p for p in platforms if _has_display(p, env)]
    if not reached:
        if platforms == ["xcb"] and env.get("QT_QPA_PLATFORM"):
            return "no X display found (DISPLAY is not set). Start qadesk inside a desktop session; " \
                   "the command line works without one (qadesk --help)."
        return "no display found (DISPLAY and WAYLAND_DISPLAY are not set). Start qadesk inside a desktop " \
               "session; the command line works without one (qadesk --help)."
    problems = [_platform_problem(p, env) for p in reached]
    return None if None in problems else problems[0]


def exit_unless_window_can_open(*, self_test: bool = False) -> None:
    """Print the one line and exit 1 when the window cannot open here; return quietly otherwise."""
    problem = window_problem(self_test=self_test)
    if problem is not None:
        print(PREFIX + problem, file=sys.stderr)
        raise SystemExit(1)
