"""Urgent concerns in every report, read back: the QA summary (pypdf), the Excel return (openpyxl) and the
audit report (pypdf) put open urgent actions first with who was told, and list a concern with none."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pypdf
from openpyxl import load_workbook

from qadesk.services import audits as svc
from qadesk.services.queries import Selection
from qadesk.services.reporting import write_audit_report, write_report, write_return
from tests.helpers.exports import fill_audit

A = "Test Auditor"
TOLD = datetime(2026, 11, 24, 16, 5, tzinfo=timezone.utc)
TODAY = date(2026, 11, 30)


def _audits(store) -> tuple[str, str]:
    """One audit with an open urgent action (told recorded), one flagging a concern with no urgent action."""
    with store.transaction() as s:
        told = fill_audit(s, "regular-case-audit", case_ref="MADEUP-11", submit=False)
        bare = fill_audit(s, "regular-case-audit", case_ref="MADEUP-12", n=3, submit=False)
        for aid in (told, bare):
            for a in list(svc.get_audit(s, aid).actions):
                svc.remove_action(s, a.id, actor=A)
            svc.save_answer(s, aid, "urgent_concern", "yes", actor=A)
            svc.save_answer(s, aid, "urgent_detail", "Made-up: left alone overnight", actor=A,
                            evidence="Made-up case note of 24 Nov")
            svc.add_action(s, aid, "Review contact arrangements", actor=A, owner="Made-up Owner",
                           due=date(2026, 12, 20))
            svc.add_action(s, aid, "Strategy discussion today", actor=A, owner="Made-up Owner",
                           due=date(2026, 12, 1), urgent=True, told_whom="Ali Manager, team manager", told_at=TOLD)
            svc.submit(s, aid, actor=A)
        # The second as an old pack would bring it: the concern is there, the urgent action is not.
        for a in [a for a in svc.get_audit(s, bare).actions if a.urgent]:
            s.delete(a)
        refs = svc.get_audit(s, told).reference, svc.get_audit(s, bare).reference
    return refs


def test_the_summary_pdf_lists_the_concern_with_no_urgent_action_and_who_was_told(loaded_store, tmp_path):
    told_ref, bare_ref = _audits(loaded_store)
    path = write_report(loaded_store, tmp_path / "summary.pdf", Selection(), today=TODAY)
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(path).pages).split())
    urgent = text[text.index("Urgent concerns"):text.index("In numbers")]
    assert "1 audit flags an urgent concern with no urgent action recorded" in urgent
    assert bare_ref in urgent
    assert told_ref in urgent and "Strategy discussion today" in urgent and "Ali Manager" in urgent
    assert "No urgent actions are open" not in text
    assert "Urgent concerns with no urgent action 1" in text


def test_the_excel_return_lists_urgent_concerns_and_who_was_told(loaded_store, tmp_path):
    told_ref, bare_ref = _audits(loaded_store)
    path = write_return(loaded_store, tmp_path / "return.xlsx", Selection(), today=TODAY)
    wb = load_workbook(path, read_only=True)
    summary = [r for r in wb["Summary"].iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(summary) if r and str(r[0]).startswith("Urgent concerns (the actions"))
    block = summary[start + 1:start + 3]
    assert block[0][:2] == ("Open urgent action", told_ref) and block[0][4] == "Yes"
    assert block[1][1] == bare_ref and str(block[1][0]).startswith("Concern with no urgent action")
    actions = list(wb["Actions"].iter_rows(values_only=True))
    head = actions[0]
    row = next(r for r in actions if r[2] == "Strategy discussion today")
    assert row[head.index("Who was told")] == "Ali Manager, team manager"
    assert row[head.index("When told (UTC)")] == "2026-11-24 16:05"


def test_the_audit_report_puts_the_open_urgent_action_first_with_who_was_told(loaded_store, tmp_path):
    told_ref, _ = _audits(loaded_store)
    with loaded_store.session() as s:
        path = write_audit_report(s, told_ref, tmp_path / "audit.pdf")
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(path).pages).split())
    actions = text[text.rindex("Actions"):]
    assert actions.index("Strategy discussion today") < actions.index("Review contact arrangements")
    assert "Told: Ali Manager, team manager, 24 Nov 2026 16:05 UTC" in actions
