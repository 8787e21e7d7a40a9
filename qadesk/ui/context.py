"""What every screen of the window shares: the open store and who is using it.

Screens receive an :class:`AppContext` and call services through short-lived
sessions (``with ctx.store.transaction() as s: ...``); no widget keeps a
Session.  Screens learn that data changed from ``hub`` (see :mod:`qadesk.ui.change_hub`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qadesk.services.profile import Profile, current_actor_name, get_profile
from qadesk.store import Store

if TYPE_CHECKING:
    from qadesk.ui.change_hub import ChangeHub


@dataclass
class AppContext:
    store: Store
    data_dir: Path | None
    demo: bool = False
    hub: ChangeHub | None = None  # the window's changes to the store (qadesk.ui.change_hub); None on its own

    def profile(self) -> Profile | None:
        with self.store.session() as s:
            return get_profile(s)

    def actor(self) -> str:
        with self.store.session() as s:
            return current_actor_name(s)
