"""What every screen of the window shares: the open store and who is using it.

Screens receive an :class:`AppContext` and run their database work through
its background operations (``ctx.operations().run(...)``), each job in its
own short-lived session; no widget keeps a Session.  Only the trivial reads
named in :mod:`qadesk.ui.operations` (the profile here) stay on the UI thread.
Screens learn that data changed from ``hub`` (see :mod:`qadesk.ui.change_hub`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qadesk.core.permissions import Do
from qadesk.services import permissions
from qadesk.services.profile import Profile, current_actor_name, get_profile
from qadesk.store import Store
from qadesk.ui.operations import Operations

if TYPE_CHECKING:
    from qadesk.ui.change_hub import ChangeHub


@dataclass
class AppContext:
    store: Store
    data_dir: Path | None
    demo: bool = False
    hub: ChangeHub | None = None  # the window's changes to the store (qadesk.ui.change_hub); None on its own
    ops: Operations | None = field(default=None, repr=False, compare=False)  # the window's, once attached

    def operations(self) -> Operations:
        """The window's background operations; a screen or form used on its own (tests) gets its own."""
        if self.ops is None:
            self.ops = Operations(None)
        return self.ops

    def profile(self) -> Profile | None:
        with self.store.session() as s:
            return get_profile(s)

    def actor(self) -> str:
        with self.store.session() as s:
            return current_actor_name(s)

    def why_not(self, what: Do) -> str | None:
        """None if the person here may do this (qadesk.core.permissions); else the reason, for the tooltip of
        the button greyed out for them.  The services refuse it anyway: the window only asks."""
        with self.store.session() as s:
            return permissions.why_not(s, what)
