"""Mnemonics (Alt+letter) and ampersands (issue 8, point 9), walked through the real window.

Alt+A was both the Audit menu and "Add action" (and "I agree" and "Rationale" on Moderation), and the
new-programme dialog showed "&Period" because its label had no buddy.  This walks every screen, an open
audit's every page and the dialogs, collects the mnemonics of what is visible at once (menus,
buttons, labels with buddies, group boxes, check boxes, radio buttons, tabs) and asserts none is
taken twice, and that no visible text shows an ampersand Qt did not take as a mnemonic.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QGroupBox,
    QLabel,
    QMenu,
    QTabBar,
    QTableView,
    QTreeView,
    QWidget,
)

from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui

SCREENS = ("home", "audits", "actions", "moderation", "programmes", "templates", "reports", "cases")


def mnemonic(text: str) -> str | None:
    """The key Qt makes of ``text``'s mnemonic ("&Audit" -> "A"), or None."""
    plain = text.replace("&&", "")
    i = plain.find("&")
    return plain[i + 1].upper() if 0 <= i < len(plain) - 1 else None


def consumed_problem(text: str) -> str | None:
    """For text Qt reads mnemonics in: more than one "&", or one before something that is not a letter or digit."""
    plain = text.replace("&&", "")
    if plain.count("&") > 1:
        return "two mnemonics"
    i = plain.find("&")
    if i >= 0 and (i == len(plain) - 1 or not plain[i + 1].isalnum()):
        return "an ampersand shown as a mnemonic on a space or sign (write && for &)"
    return None


def stray(text: str) -> bool:
    """For text shown as it is: an "&" Qt did not take, left from a mnemonic ("&Period", "&&")."""
    return bool(re.search(r"&[\w&]", text))


def visible(w: QWidget, top: QWidget) -> bool:
    return w.isVisibleTo(top) and w.window() is top


def scope_of(top: QWidget) -> tuple[dict[str, list[str]], list[str]]:
    """The mnemonics of what is visible in ``top`` (key -> whose), and the texts with a stray or bad "&"."""
    keys: dict[str, list[str]] = defaultdict(list)
    bad: list[str] = []

    def take(text: str, who: str) -> None:
        problem = consumed_problem(text)
        if problem:
            bad.append(f"{who} {text!r}: {problem}")
        key = mnemonic(text)
        if key:
            keys[key].append(f"{who} {text!r}")

    bar = getattr(top, "menuBar", None)
    if callable(bar) and top.menuBar().isVisibleTo(top):
        for a in top.menuBar().actions():
            take(a.text(), "menu")
    for w in top.findChildren(QWidget):
        if not visible(w, top):
            continue
        name = f"{type(w).__name__} {w.objectName() or ''}".strip()
        if isinstance(w, QAbstractButton):
            if w.text():
                take(w.text(), name)
        elif isinstance(w, QLabel):
            if w.buddy() is not None:
                take(w.text(), name)
            elif w.textFormat() != Qt.TextFormat.RichText and not QtGui.Qt.mightBeRichText(w.text()) and stray(w.text()):
                bad.append(f"{name} {w.text()!r}: an ampersand shown (the label has no buddy)")
        elif isinstance(w, QGroupBox):
            take(w.title(), name)
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                take(w.tabText(i), name)
        elif isinstance(w, QComboBox):
            bad += [f"{name} item {w.itemText(i)!r}" for i in range(w.count()) if stray(w.itemText(i))]
        elif isinstance(w, (QTableView, QTreeView)) and w.model() is not None:
            header = w.horizontalHeader() if isinstance(w, QTableView) else w.header()
            heads = [str(w.model().headerData(c, Qt.Orientation.Horizontal) or "") for c in range(header.count())]
            bad += [f"{name} header {h!r}" for h in heads if stray(h)]
    return keys, bad


def clashes(keys: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: v for k, v in keys.items() if len(v) > 1}


def check(top: QWidget, where: str, found: list[str]) -> None:
    keys, bad = scope_of(top)
    found += [f"{where}: Alt+{k} is {' and '.join(v)}" for k, v in clashes(keys).items()]
    found += [f"{where}: {b}" for b in bad]


def check_menus(window: QWidget, found: list[str]) -> None:
    for menu in window.findChildren(QMenu):
        keys: dict[str, list[str]] = defaultdict(list)
        for a in menu.actions():
            if a.isSeparator() or not a.text():
                continue
            problem = consumed_problem(a.text())
            if problem:
                found.append(f"menu {menu.title()!r}: {a.text()!r}: {problem}")
            key = mnemonic(a.text())
            if key:
                keys[key].append(a.text())
        found += [f"menu {menu.title()!r}: Alt+{k} is {' and '.join(v)}" for k, v in clashes(keys).items()]


def test_no_mnemonic_is_taken_twice_and_no_ampersand_shows(open_window, demo_dir: Path, qtbot, messages_seen):
    w = open_window("--data-dir", str(demo_dir))
    w.resize(1366, 768)
    w.show()
    settle(w)
    found: list[str] = []
    check_menus(w, found)
    for key in SCREENS:
        w.show_screen(key)
        settle(w)
        if key == "audits":
            w.audit_tabs.setCurrentIndex(0)
        check(w, key, found)

    # An open audit, page by page (the Audits screen with its tab).
    w.show_screen("audits")
    settle(w)
    from qadesk.services.queries import Selection, list_audits
    from qadesk.store.models import Audit

    with w.ctx.store.session() as s:
        draft = list_audits(s, Selection(statuses=["draft"]), limit=1)[0].id
        with_actions = next(a.id for a in s.query(Audit).filter(Audit.status == "draft") if a.actions)
    for audit_id in {draft, with_actions}:
        form = w.open_audit(audit_id)
        form.build_all()
        for page in form.navigator.visible_keys():
            form.show_page(page)
            check(w, f"audit {form.reference}, page {page}", found)

    # The dialogs, each its own scope.
    dialogs: list[QDialog] = []
    from qadesk.ui.form.actions_panel import ActionDialog

    dialogs.append(ActionDialog(w))
    actions = w.show_screen("actions")
    settle(w)
    actions.table.selectRow(0)
    actions.edit()
    actions.mark_done()
    dialogs += [c for c in actions.children() if isinstance(c, QDialog)]
    programmes = w.show_screen("programmes")
    programmes.new_button.click()
    settle(w)
    programmes.table.selectRow(0)
    programmes.sample_and_allocate()  # Sample and allocate, on the first programme
    settle(w)
    dialogs += [c for c in programmes.children() if isinstance(c, QDialog)]
    w.new_audit()
    dialogs.append(w.new_audit_dialog)
    w.edit_profile()
    dialogs.append(w.profile_dialog)
    reports = w.show_screen("reports")
    from qadesk.ui.export_dialogs import PackExportDialog

    dialogs.append(PackExportDialog(w.ctx, reports.selection(), "moderation_request", 3, w))
    for d in dialogs:
        d.show()
        check(d, f"dialog {d.windowTitle()!r}", found)
        d.close()
    messages_seen.close_boxes()
    assert not found, "\n".join(found)


def test_an_ampersand_in_a_template_shows_as_written(qtbot, loaded_store, data_dir, tmp_path):
    """A council's template may say "Health & development": it shows so, and makes no Alt+Space."""
    import json

    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template
    from tests.conftest import FORMS
    from tests.gui.form_support import open_form, start

    doc = json.loads((FORMS / "regular-case-audit.json").read_text(encoding="utf-8"))
    doc["id"], doc["title"] = "made-up-ampersand-audit", "Made-up audit: health & care"
    section = doc["sections"][1]
    section["title"] = "Health & development"
    question = next(q for q in section["questions"] if q["type"] == "choice" and not q.get("relevant"))
    question["label"] = "Are the child's health & development needs known?"
    path = tmp_path / "ampersand.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with loaded_store.transaction() as s:
        import_template(s, read_template(path), actor="test")
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store, "made-up-ampersand-audit"), show=True)
    found: list[str] = []
    for page in form.navigator.visible_keys():
        form.show_page(page)
        check(form, f"page {page}", found)
    assert not found, "\n".join(found)
    row = form.rows[question["id"]]
    assert row.title.text().replace("&&", "&") == question["label"]
    assert mnemonic(row.title.text()) is None
