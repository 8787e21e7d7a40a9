"""Choosing a list's columns: right-click its header (or press the menu key in the list), tick what to show.

What each list shows is remembered in the settings (``audits/columns``, ``moderation/columns``); the
defaults fit a 1366×768 laptop with grade, team and auditor readable, and the first column (the
audit's reference) always stays.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTableView

from qadesk.ui.settings import Settings


class ColumnChooser(QObject):
    """Shows and hides ``table``'s columns (``columns``: key and title, in model order) and remembers them."""

    def __init__(self, table: QTableView, option: str, columns: list[tuple[str, str]],
                 settings: Settings | None = None) -> None:
        super().__init__(table)
        self.table, self.option, self.columns = table, option, columns
        self.settings = settings or Settings()
        self.menu: QMenu | None = None
        # What a right-click on a row adds above the columns (the audits list: Open, History…).
        self.row_actions: Callable[[QMenu], None] | None = None
        # Columns kept hidden whatever was chosen (Moderation, judging blind: the auditor's grade); the
        # choice is remembered for when they are not withheld.
        self.withheld: set[str] = set()
        self.wanted: set[str] = set()
        header = table.horizontalHeader()
        # A scroll area gives the position in its viewport's coordinates, the header in its own.
        for widget, origin in ((header, header), (table, table.viewport())):
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            widget.customContextMenuRequested.connect(
                lambda pos, o=origin, body=widget is table: self.show_menu(o.mapToGlobal(pos), body=body))
        self.apply(self.settings.get(option))

    def shown(self) -> list[str]:
        """The columns chosen, in model order (shown unless withheld)."""
        return [k for k, _ in self.columns if k in self.wanted]

    def apply(self, shown: list[str]) -> None:
        self.wanted = wanted = set(shown) | {self.columns[0][0]}
        for i, (key, _) in enumerate(self.columns):
            self.table.setColumnHidden(i, key not in wanted or key in self.withheld)
        fit = getattr(self.table, "fit_columns", None)
        if callable(fit):
            fit()

    def withhold(self, keys: set[str]) -> None:
        """Keep these columns hidden (and out of the menu) until withheld again with another set."""
        self.withheld = set(keys)
        self.apply(self.shown())

    def set_shown(self, key: str, show: bool) -> None:
        """Show or hide one column, and remember the list's columns."""
        shown = [k for k in self.shown() if k != key] + ([key] if show else [])
        self.apply([k for k, _ in self.columns if k in shown])
        self.settings.set(self.option, self.shown())
        self.settings.sync()

    def build_menu(self) -> QMenu:
        menu = QMenu(self.table)
        menu.setObjectName(f"{self.table.objectName()}.columns")
        menu.setTitle("Columns")
        menu.setAccessibleName("Show or hide columns")
        shown = set(self.shown())
        for i, (key, title) in enumerate(self.columns):
            action = QAction(title, menu)
            action.setObjectName(f"column.{key}")
            action.setCheckable(True)
            action.setChecked(key in shown)
            action.setEnabled(i > 0 and key not in self.withheld)  # the reference names the audit: it always stays
            action.toggled.connect(lambda on, k=key: self.set_shown(k, on))
            menu.addAction(action)
        return menu

    def show_menu(self, at: QPoint, *, body: bool = False) -> None:
        self.menu = self.build_menu()
        if body and self.row_actions is not None:
            self.row_actions(self.menu)
        self.menu.popup(at)
