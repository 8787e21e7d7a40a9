"""Screenshots of the main screens for the README, made from the real window offscreen.

    python -m tests.screenshots                      # docs/screenshots/*.png
    python -m tests.screenshots --scale 2 --out /tmp/shots2x   # check 200% scaling

Uses a throw-away demo store (made-up data) and fresh settings; nothing of the
user's own data or settings is touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE = (1366, 768)  # the commonest council laptop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--scale", type=float, default=1.0, help="QT_SCALE_FACTOR (2 for a 200%% display)")
    parser.add_argument("--audits", type=int, default=300)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="qadesk-shots-"))
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    os.environ["QADESK_CONFIG_DIR"] = str(work / "config")
    os.environ.pop("QADESK_DATA_DIR", None)
    os.environ.pop("QADESK_PASSPHRASE", None)
    try:
        return _shoot(args.out, work / "store", args.audits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _shoot(out: Path, folder: Path, n: int) -> int:
    from PySide6.QtWidgets import QApplication, QWidget

    from qadesk.services.demo import generate
    from qadesk.services.demo_world import persona
    from qadesk.services.profile import Profile, set_profile
    from qadesk.services.queries import Selection, list_audits
    from qadesk.store import open_store

    app = QApplication.instance() or QApplication(sys.argv[:1])
    store = open_store(folder)
    generate(store, audits=n, seed=1, anchor=date.today())
    with store.transaction() as s:
        # The demo's made-up persona (a full name, so Home greets "Sam"), who audits a share of the demo.
        me, role = persona()
        set_profile(s, Profile(name=me, role=role, team="Quality Assurance", organisation="Wexcombe Borough Council"))
        drafts = list_audits(s, Selection(statuses=["draft"]), sort="updated_at", limit=None)
        halfway = max(drafts, key=lambda r: (r.auditor == me, r.answered))
    store.close()

    from qadesk.ui.app import create_window

    out.mkdir(parents=True, exist_ok=True)
    w = create_window(["--data-dir", str(folder)])
    w.resize(*SIZE)
    shots: list[Path] = []

    def settle() -> None:
        for _ in range(5):
            app.processEvents()
        w.ops.wait()
        for _ in range(5):  # what the background work sent back, and the layouts it changed
            app.processEvents()

    def save(widget: QWidget, name: str) -> None:
        settle()
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        shots.append(path)

    w.show_screen("home")
    save(w, "01-home")
    audits = w.show_screen("audits")
    save(w, "02-audits")
    w.new_audit()
    dialog = w.new_audit_dialog
    dialog.fields["case_ref"].setText("CR-104233")
    dialog.fields["case_type"].setCurrentIndex(dialog.fields["case_type"].findData("CP"))
    dialog.fields["team"].setCurrentText("Assessment Team 2")
    save(dialog, "03-new-audit")
    dialog.reject()
    w.open_audit(halfway.id)
    form = w.current_form()
    pages = [k for k in form.navigator.visible_keys() if k.startswith("section:")]
    if len(pages) > 2:
        form.show_page(pages[len(pages) // 2])
    save(w, "04-audit-form")
    w.close_current_audit()
    del audits
    actions = w.show_screen("actions")
    settle()  # Actions and Moderation load in the background
    actions.table.selectRow(0)
    save(w, "05-actions")
    moderation = w.show_screen("moderation")
    settle()
    moderation.waiting.setCurrentIndex(moderation.model.index(0, 0))
    save(w, "06-moderation")
    programmes = w.show_screen("programmes")
    programmes.table.selectRow(0)
    save(w, "07-programmes")
    _sample_and_allocate(programmes, save, settle)
    w.show_screen("templates")
    save(w, "08-templates")
    w.show_screen("reports")
    save(w, "09-reports")
    _case_lists(w, save, settle, folder.parent)
    w.close()
    for p in shots:
        print(p)
    return 0


def _case_lists(w, save, settle, work: Path) -> None:  # type: ignore[no-untyped-def]
    """The Case lists screen after a made-up list is imported, and the preview of a list with bad rows."""
    from tests.helpers.case_lists import case_rows, spoilt_list, write_csv

    cases = w.show_screen("cases")
    settle()
    first = cases.import_file(write_csv(work / "open-cases.csv", case_rows(1200, seed=5)))
    settle()
    first.do_import()
    settle()
    save(w, "10-case-lists")
    rows, _bad = spoilt_list(800, seed=5)
    dialog = cases.import_file(write_csv(work / "open-cases-december.csv", rows))
    settle()
    dialog.resize(1280, 720)
    save(dialog, "11-case-list-import")
def _sample_and_allocate(programmes: object, save: object, settle: object) -> None:
    """The Sample and allocate dialog on the first programme: ten per team by case type, three auditors."""
    from PySide6.QtCore import Qt

    settle()  # type: ignore[operator]
    programmes.table.selectRow(0)  # type: ignore[attr-defined]
    dialog = programmes.sample_and_allocate()  # type: ignore[attr-defined]
    settle()  # type: ignore[operator]
    dialog.per_team.setValue(3)
    dialog.stratify.setCurrentIndex(dialog.stratify.findData("case_type"))
    dialog.seed.setValue(2026)
    auditing = [i for i in range(dialog.auditors.count())
                if "QA officer" in (dialog.auditors.item(i).data(Qt.ItemDataRole.UserRole).role or "")]
    for i in auditing[:3]:
        dialog.auditors.item(i).setCheckState(Qt.CheckState.Checked)
    dialog.draw()
    settle()  # type: ignore[operator]
    save(dialog, "12-sample-and-allocate")  # type: ignore[operator]
    dialog.reject()


if __name__ == "__main__":
    raise SystemExit(main())
