"""Finding the files shipped beside the package: forms/, resources/, docs/schemas/.

In a checkout (or an editable install) they sit in the folder above ``qadesk/``;
in the PyInstaller app they are unpacked under ``sys._MEIPASS``. Every layer
asks here, so the packaged app and the checkout can never disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]


def bundle_path(*parts: str) -> Path:
    """A shipped file or folder, e.g. ``bundle_path("forms")``, from a checkout or the packaged app."""
    return Path(getattr(sys, "_MEIPASS", _CHECKOUT)).joinpath(*parts)
