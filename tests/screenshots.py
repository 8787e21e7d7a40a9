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
    _moderation(w, save, settle, me, folder)
    programmes = w.show_screen("programmes")
    settle()  # the programmes load in the background: one is chosen once they are shown
    programmes.table.selectRow(0)
    save(w, "07-programmes")
    w.show_screen("templates")
    save(w, "08-templates")
    w.show_screen("reports")
    save(w, "09-reports")
    _case_lists(w, save, settle, folder)
    _monthly_cycle(w, save, settle, me)
    w.close()
    for p in shots:
        print(p)
    return 0


def _moderation(w, save, settle, me: str, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """Blind moderation (the evidence, your own judgements), then both side by side; agreement and drift;
    choosing what to moderate; a calibration exercise's result."""
    from qadesk.services import calibration as cal
    from qadesk.services.audit_access import Actor
    from qadesk.services.queries import Selection, list_audits
    from qadesk.ui.calibration_dialog import CalibrationDialog
    from qadesk.ui.moderation_sample_dialog import ModerationSampleDialog

    moderation = w.show_screen("moderation")
    settle()
    moderation.only_chosen.setChecked(False)
    settle()
    row = next(i for i in range(moderation.model.rowCount()) if moderation.model.row_at(i).auditor != me)
    moderation.waiting.setCurrentIndex(moderation.model.index(row, 0))
    panel = moderation.panel
    for combo in panel.own.values():  # the moderator's own grades: one short of the top, and the overall
        combo.setCurrentIndex(min(2, combo.count() - 1))
    panel.own_overall.setCurrentIndex(min(3, panel.own_overall.count() - 1))
    save(w, "06-moderation")
    panel.record_own.click()
    settle()
    panel.rationale.setPlainText("The plan has no timescales, so the grade is too generous.")
    panel.learning.setPlainText("Check the plan's timescales against what happened before grading it.")
    save(w, "15-moderation-side-by-side")
    moderation.tabs.setCurrentIndex(2)
    settle()
    moderation.agreement.by.setCurrentIndex(moderation.agreement.by.findData("quarter"))
    save(w, "16-agreement-and-drift")
    moderation.tabs.setCurrentIndex(0)
    dialog = ModerationSampleDialog(w.ctx, w)
    dialog.show()
    dialog.draw_button.click()
    settle()
    save(dialog, "17-choose-what-to-moderate")
    dialog.reject()
    # A calibration exercise: four auditors graded the same anonymised audit blind.
    with w.ctx.store.transaction() as s:
        audit = list_audits(s, Selection(statuses=["moderated"], template_id="regular-case-audit"),
                            sort="completed_at", limit=1)[0]
        ex = cal.create_exercise(s, audit.id, actor=me)
        t = cal.template_of_exercise(ex)
        graded = cal.graded_sections(t)
        def best_first(list_name: str) -> list[str]:
            scored = sorted((c for c in t.list_choices(list_name) if c.score is not None), key=lambda c: -(c.score or 0))
            return [c.value for c in scored]

        values = best_first(t.overall.list)
        for i, name in enumerate(("R. Ashdown", "T. Ingleby", "P. Jessop", "F. Prothero")):
            sections = {}
            for j, (sid, _title, list_name) in enumerate(graded):
                grades = best_first(list_name)
                sections[sid] = grades[min(len(grades) - 1, 1 + (i + j) % 2)]
            cal.rate(s, ex.id, rater=Actor(name, "Team manager"), overall=values[1 + (i == 3)], sections=sections)
        exercise = ex.id
    dialog = CalibrationDialog(w.ctx, w)
    dialog.show()
    settle()
    for r in range(dialog.exercises.rowCount()):
        dialog.exercises.selectRow(r)
        if dialog.current == exercise:
            break
    dialog.tabs.setCurrentIndex(1)
    dialog.show_auditor.setChecked(True)  # the panel's discussion: the auditor's grades beside
    save(dialog, "18-calibration")
    dialog.reject()


def _case_lists(w, save, settle, folder: Path) -> None:  # type: ignore[no-untyped-def]
    """The Case lists screen after the demo's own case list is imported, and the preview of a list with bad rows."""
    from qadesk.services.demo_cases import case_list_name, write_demo_case_list
    from tests.helpers.case_lists import spoilt_list, write_csv

    work = folder.parent
    demo_list = work / case_list_name(date.today())
    write_demo_case_list(w.ctx.store, demo_list, seed=1)
    cases = w.show_screen("cases")
    settle()
    first = cases.import_file(demo_list)
    settle()
    first.do_import()
    settle()
    save(w, "10-case-lists")
    rows, _bad = spoilt_list(800, seed=5)
    dialog = cases.import_file(write_csv(work / "open-cases-december.csv", rows))
    settle()
    dialog.resize(1280, 720)
    save(dialog, "11-case-list-import")
    dialog.reject()


def _monthly_cycle(w, save, settle, me: str) -> None:  # type: ignore[no-untyped-def]
    """This month's programme sampled from the imported list, two per team by case type, allocated to the
    demo's person and two QA officers; then Home with what was assigned, and the programme's progress."""
    from datetime import timedelta

    from PySide6.QtCore import Qt

    from qadesk.services.programmes import ProgrammePlan, create_programme

    today = date.today()
    name = f"Regular audits, {today:%B %Y}"
    with w.ctx.store.transaction() as s:
        create_programme(s, ProgrammePlan(name, description="Two cases per team, by case type",
                                          starts_on=today.replace(day=1), ends_on=today + timedelta(days=21),
                                          template_id="regular-case-audit", target_per_team=2,
                                          teams=["Assessment Team 1", "Children in Care East", "Family Support West"]),
                         actor=me)
    programmes = w.show_screen("programmes")
    settle()
    programmes.table.selectRow(next(i for i, p in enumerate(programmes.items) if p.name == name))
    settle()
    dialog = programmes.sample_and_allocate()
    settle()
    dialog.stratify.setCurrentIndex(dialog.stratify.findData("case_type"))
    dialog.seed.setValue(2026)
    people = [dialog.auditors.item(i) for i in range(dialog.auditors.count())]
    officers = [i for i in people if "QA officer" in (i.data(Qt.ItemDataRole.UserRole).role or "")
                and i.data(Qt.ItemDataRole.UserRole).name != me]
    for item in [next(i for i in people if i.data(Qt.ItemDataRole.UserRole).name == me), *officers[:2]]:
        item.setCheckState(Qt.CheckState.Checked)
    dialog.draw()
    settle()
    dialog.cases.setFocus()
    dialog.cases.setCurrentCell(1, 0)  # a case chosen: why, in full, under the table
    save(dialog, "12-sample-and-allocate")
    dialog.accept()
    settle()
    _begin_two(w.ctx.store, name, me)
    w.show_screen("home")
    save(w, "13-home-assigned")
    w.show_screen("programmes")
    save(w, "14-programme-progress")


def _begin_two(store, programme: str, me: str) -> None:  # type: ignore[no-untyped-def]
    """One of the demo person's assigned audits and one of another auditor's begun (a strength written)."""
    from sqlalchemy import select

    from qadesk.services.audits import set_summary
    from qadesk.store.models import Assignment, Programme

    with store.transaction() as s:
        rows = s.execute(select(Assignment.audit_id, Assignment.auditor_name).join(
            Programme, Programme.pk == Assignment.programme_pk).where(Programme.name == programme)
            .order_by(Assignment.audit_id)).all()
        begun = [next(r for r in rows if r.auditor_name == me), next(r for r in rows if r.auditor_name != me)]
        for audit_id, auditor in begun:
            set_summary(s, audit_id, "strengths", "The child's views are recorded at every visit", actor=auditor)


if __name__ == "__main__":
    raise SystemExit(main())
