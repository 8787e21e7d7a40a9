"""Building the window's screens, each wired to the window when it is first shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from qadesk.ui.menus import SCREENS

if TYPE_CHECKING:
    from qadesk.ui.main_window import MainWindow


# What each screen shows, as kinds of change (qadesk.services.changes.Changes.concerns): a change of
# one of them refreshes the screen, at once when it is shown, when next shown otherwise.
SCREEN_CHANGES: dict[str, tuple[str, ...]] = {
    "home": ("audits", "answers", "actions", "moderation", "templates", "profile"),
    "audits": ("audits", "templates", "programmes"),
    "actions": ("actions", "audits", "profile"),
    "moderation": ("audits", "moderation", "profile"),
    "programmes": ("programmes", "audits", "templates"),
    "templates": ("templates", "audits"),
    "reports": ("audits", "answers", "actions", "moderation", "templates", "programmes", "indicators"),
    "cases": ("cases",),
}


def make_screen(window: MainWindow, key: str) -> QWidget:
    """The screen ``key`` (see :data:`qadesk.ui.menus.SCREENS`), connected to ``window``."""
    # Built inside the window (parent given), so a screen that looks up the window's
    # operations while it is being built finds them.
    ctx = window.ctx
    assert ctx is not None
    if key == "home":
        from qadesk.ui.home_view import HomeView

        home = HomeView(ctx, window.stack, ops=window.ops)
        home.openAudit.connect(window.open_audit)
        home.showScreen.connect(window.show_filtered)
        return home
    if key == "audits":
        from qadesk.ui.audits_view import AuditsView

        audits = AuditsView(ctx, window.audit_tabs)
        audits.openAudit.connect(window.open_audit)
        audits.historyRequested.connect(window.show_history_of)
        window.audit_tabs.insertTab(0, audits, "All audits")
        tab_bar = window.audit_tabs.tabBar()
        tab_bar.setTabButton(0, tab_bar.ButtonPosition.RightSide, None)  # the list itself never closes
        tab_bar.setTabButton(0, tab_bar.ButtonPosition.LeftSide, None)
        return audits
    if key == "actions":
        from qadesk.ui.actions_view import ActionsView

        actions = ActionsView(ctx, window.stack, ops=window.ops)
        actions.openAudit.connect(window.open_audit)
        return actions
    if key == "moderation":
        from qadesk.ui.moderation_view import ModerationView

        moderation = ModerationView(ctx, window.stack, ops=window.ops)
        moderation.openAudit.connect(window.open_audit)
        return moderation
    if key == "programmes":
        from qadesk.ui.programmes_view import ProgrammesView

        programmes = ProgrammesView(ctx, window.stack)
        programmes.startAudit.connect(lambda name, tid: window.new_audit(programme=name, template_id=tid))
        programmes.showAudits.connect(window.show_programme_audits)
        return programmes
    if key == "templates":
        from qadesk.ui.templates_view import TemplatesView

        return TemplatesView(ctx, window.stack)
    if key == "reports":
        from qadesk.ui.reports_view import ReportsView

        return ReportsView(ctx, window.stack)
    if key == "cases":
        from qadesk.ui.cases_view import CasesView

        return CasesView(ctx, window.stack)
    raise ValueError(f"no screen '{key}' (the screens: {', '.join(k for k, _label in SCREENS)})")
