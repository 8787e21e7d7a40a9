"""Finding the files shipped with the program: forms/, resources/, docs/schemas/.

They live at the top of the repository. Three ways of running see them in three places, with
the same layout below each root:

- the PyInstaller app (qadesk.spec): unpacked under ``sys._MEIPASS``;
- an installed package (``pip install .``, a wheel): ``qadesk/_bundle/``, where setup.py maps
  the folders at build time;
- a checkout or an editable install: the folder above ``qadesk/``.

Every layer asks here, so the packaged app, the installed package and the checkout can never
disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]
_INSTALLED = _PACKAGE / "_bundle"
_CHECKOUT = _PACKAGE.parent


def bundle_root() -> Path:
    """The folder that holds forms/, resources/ and docs/schemas/ for the running program."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    # Only a build puts _bundle/ inside the package; a checkout never has one (.gitignore).
    return _INSTALLED if _INSTALLED.is_dir() else _CHECKOUT


def bundle_path(*parts: str) -> Path:
    """A shipped file or folder, e.g. ``bundle_path("forms")``, wherever the program runs from."""
    return bundle_root().joinpath(*parts)
