"""The form fits the width it is given: no sideways scrolling, every label whole, at laptop sizes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QScrollArea, QWidget

from qadesk.ui.form.fit import FlowLayout, WrapPushButton
from tests.gui.form_support import open_form, start

pytestmark = pytest.mark.gui


def _settle() -> None:
    for _ in range(4):
        QApplication.processEvents()


def _inside(widget: QWidget, page: QScrollArea) -> bool:
    """The widget's whole width is within the page's visible width."""
    left = widget.mapTo(page.viewport(), QPoint(0, 0)).x()
    return left >= 0 and left + widget.width() <= page.viewport().width()


def _check_page(page: QScrollArea, key: str) -> None:
    body = page.widget()
    viewport = page.viewport().width()
    assert page.horizontalScrollBar().maximum() == 0, key
    assert body.width() <= viewport and body.minimumSizeHint().width() <= viewport, key
    for label in body.findChildren(QLabel):
        if not label.isVisibleTo(body) or not label.text():
            continue
        assert _inside(label, page), f"{key}: {label.text()!r} runs past the edge"
        if label.wordWrap():
            assert label.height() >= label.heightForWidth(label.width()), f"{key}: {label.text()!r} is cut"
        else:
            assert label.width() >= label.sizeHint().width(), f"{key}: {label.text()!r} is cut"
    for button in body.findChildren(QAbstractButton):
        if not button.isVisibleTo(body) or not hasattr(button, "label"):
            continue
        shown = button.text().replace("\n", " ").replace("&&", "&")
        assert shown == button.label(), key
        assert _inside(button, page), f"{key}: {button.label()!r} runs past the edge"
        assert button.height() >= button.heightForWidth(button.width()), f"{key}: {button.label()!r} is cut"


@pytest.mark.parametrize("template_id", ["regular-case-audit", "practice-observation"])
@pytest.mark.parametrize("width", [1024, 760])
def test_every_page_fits_its_width_and_every_label_is_whole(qtbot, loaded_store, data_dir, template_id, width):
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store, template_id))
    form.resize(width, 700)
    form.show()
    _settle()
    assert form.width() == width  # the form's own minimum never forces the window wider
    for key in form.navigator.visible_keys():
        page = form.pages[key]
        if not isinstance(page, QScrollArea):
            continue
        form.show_page(key)
        _settle()
        for row in getattr(page, "rows", []):
            row.setHidden(False)  # conditional questions too: each must fit when it appears
        _settle()
        _check_page(page, key)


def test_a_grade_scale_that_does_not_fit_is_stacked_with_whole_labels(qtbot, loaded_store, data_dir):
    form = open_form(qtbot, loaded_store, data_dir, start(loaded_store))
    form.resize(1280, 800)
    form.show()
    form.show_page("judgement")
    _settle()
    grade = form.judgement.grade
    tops = {b.y() for b in grade.buttons}
    assert len(tops) == 1  # side by side when there is room
    form.resize(700, 800)
    _settle()
    assert isinstance(grade.scale.layout(), FlowLayout)
    assert len({b.y() for b in grade.buttons}) == len(grade.buttons)  # one a line when there is not
    assert all(b.property("stacked") for b in grade.buttons)
    _check_page(form.judgement, "judgement")


def test_a_button_label_longer_than_the_width_wraps_at_words(qtbot):
    button = WrapPushButton("Requires improvement to be good & more words than fit")
    qtbot.addWidget(button)
    narrow = button.minimumSizeHint().width() + 10
    button.resize(narrow, button.heightForWidth(narrow))
    button.show()
    _settle()
    assert "\n" in button.text()
    assert button.text().replace("\n", " ") == "Requires improvement to be good && more words than fit"
    assert button.heightForWidth(narrow) > button.sizeHint().height()
