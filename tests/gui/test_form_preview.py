"""The template preview (read-only, no audit) and the packaged self-test."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from qadesk.exchange.templates import read_template
from qadesk.ui.form import TemplatePreview

pytestmark = pytest.mark.gui
FORMS = Path(__file__).resolve().parents[2] / "forms"


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.json")), ids=lambda p: p.stem)
def test_preview_shows_every_question_read_only(qtbot, path):
    template = read_template(path)
    preview = TemplatePreview(template)
    qtbot.addWidget(preview)
    for s in template.sections:
        preview.show_page(f"section:{s.id}")
        assert preview.findChild(QWidget, f"section.{s.id}") is not None
    for q in template.questions():
        if not q.answerable:
            assert preview.findChild(QWidget, f"note.{q.id}") is not None
            continue
        w = preview.findChild(QWidget, f"question.{q.id}")
        assert w is not None, q.id
        assert not w.parentWidget().isHidden()  # conditional questions are shown, with their condition
        if q.relevant:
            assert q.relevant in w.parentWidget().condition_label.text()
        before = w.value()
        if hasattr(w, "buttons") and w.buttons:
            assert not w.buttons[0].isEnabled()
        elif hasattr(w, "isReadOnly"):
            assert w.isReadOnly()
        assert w.value() == before
    assert preview.findChild(QWidget, "overall.grade") is not None


def test_self_test_passes(qapp, capsys):
    from qadesk.ui.selftest import run_self_test

    assert run_self_test(qapp) == 0
    out = capsys.readouterr().out
    assert "submit refused as expected" in out
    assert "self-test passed" in out
