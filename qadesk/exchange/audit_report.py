"""One audit's report as a person reads it (PDF, reportlab).

The report is built from the audit *document* (contracts.md section 3) and
its template, not from the tables, so the same code renders a pseudonymised
copy for a moderation pack.  Questions hidden by the template's relevance
rules are left out; answers show choice labels, dates are British.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    PageBreak,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from qadesk.core.audit import (
    CASE_TYPE_LABELS,
    SUMMARY_KEYS,
    SUMMARY_LABELS,
    question_relevant,
    section_relevant,
)
from qadesk.core.template import Template
from qadesk.exchange import pdfkit
from qadesk.exchange.blind import BLIND_NOTE, blinded
from qadesk.exchange.display import answer_text, final_grade_of, grade_label, overall_label
from qadesk.exchange.output import (
    Cancel,
    Progress,
    atomic_path,
    check_cancel,
    report_progress,
    uk_date,
    uk_datetime,
)
from qadesk.exchange.pdfkit import esc

STATUS_LABELS = {"draft": "Draft", "completed": "Completed", "moderated": "Moderated", "closed": "Closed"}
ACTION_STATUS_LABELS = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
SUBJECT_LABELS = {"case_ref": "Case reference", "case_type": "Case type", "team": "Team",
                  "practitioner": "Practitioner"}


def _kv_table(rows: Sequence[tuple[str, str]], ss: Any, width: float) -> Table:
    data = [[Paragraph(esc(k), ss["CellBold"]), Paragraph(esc(v) or "—", ss["Cell"])] for k, v in rows]
    t = Table(data, colWidths=[width * 0.28, width * 0.72])
    t.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, pdfkit.RULE),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f0f4f8")),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    return t


def grade_rows(doc: dict[str, Any], t: Template) -> list[tuple[str, str]]:
    """The auditor's grade and the moderated grade, for the top of the report's first page.

    The moderated grade is the latest moderation's, the grade the audit counts with
    (docs/packs-and-reports.md, "The final grade"); who gave it and when are beside it.
    """
    rows = [("Auditor's grade", overall_label(t, (doc.get("overall") or {}).get("grade")) or "Not yet given")]
    if doc.get("status") == "draft":
        return rows
    graded = [m for m in doc.get("moderations") or [] if m.get("grade")]
    if not graded:
        return rows + [("Moderated grade", "Not yet moderated")]
    last = max(graded, key=lambda m: str(m.get("at") or ""))
    who = last.get("moderator") or {}
    by = ", ".join(x for x in (who.get("name"), who.get("organisation")) if x)
    how = "agreed with the auditor" if last.get("agreed") else "changed from the auditor's grade"
    rows.append(("Moderated grade", f"{overall_label(t, final_grade_of(doc))} ({how}; {last.get('kind', 'internal')} "
                                    f"moderation by {by or 'an unnamed moderator'}, {uk_date(last.get('at'))})"))
    return rows


def _header(doc: dict[str, Any], t: Template, ss: Any, width: float, blind: bool = False) -> list[Flowable]:
    subj = doc.get("subject") or {}
    overall = doc.get("overall") or {}
    rows = [("Audit", f"{doc['reference']} — {STATUS_LABELS.get(doc['status'], doc['status'])}"),
            ("Template", f"{t.title} (version {t.version})" + (f"; {t.kind_label}" if t.kind_label != t.title else ""))]
    rows += [("Judgements", BLIND_NOTE)] if blind else grade_rows(doc, t)
    if t.theme:
        rows.append(("Theme", t.theme))
    for key, label in SUBJECT_LABELS.items():
        value = subj.get(key)
        if key == "case_type" and value:
            value = f"{CASE_TYPE_LABELS.get(value, value)} ({value})"
        rows.append((label, value or ""))
    for key, value in subj.items():
        if key not in SUBJECT_LABELS and value:
            rows.append((key.replace("_", " ").capitalize(), str(value)))
    auditor = doc.get("auditor") or {}
    rows.append(("Auditor", ", ".join(x for x in (auditor.get("name"), auditor.get("role")) if x)))
    if doc.get("programme"):
        rows.append(("Programme", doc["programme"]))
    rows.append(("Started", uk_datetime(doc.get("started_at"))))
    rows.append(("Completed", uk_datetime(doc.get("completed_at"))))
    if overall.get("suggested"):
        rows.append(("Suggested from the answers", overall_label(t, overall.get("suggested"))))
    if overall.get("rationale"):
        rows.append(("Rationale", overall["rationale"]))
    grades = [(s.title, grade_label(t, s.grade_list, (doc.get("sections") or {}).get(s.id, {}).get("grade")))
              for s in t.sections if s.grade_list and not blind]
    out: list[Flowable] = [Paragraph(f"Audit report: {esc(doc['reference'])}", ss["Title"]),
                           _kv_table(rows, ss, width)]
    if grades:
        out += [Paragraph("Section judgements", ss["H2"]), _kv_table([(a, b or "Not given") for a, b in grades], ss, width)]
    return out


def _sections(doc: dict[str, Any], t: Template, ss: Any, today: date | None, blind: bool = False) -> list[Flowable]:
    answers = doc.get("answers") or {}
    values = {k: v.get("value") for k, v in answers.items() if isinstance(v, dict)}
    out: list[Flowable] = []
    for s in t.sections:
        if not section_relevant(s, values, today):
            continue
        grade = grade_label(t, s.grade_list, (doc.get("sections") or {}).get(s.id, {}).get("grade"))
        head = [CondPageBreak(40 * mm), Paragraph(esc(s.title), ss["H1"])]
        if s.agency:
            head.append(Paragraph(f"Completed by: {esc(s.agency)}", ss["Small"]))
        if s.grade_list and not blind:
            head.append(Paragraph(f"<b>Section judgement:</b> {esc(grade) or 'Not given'}", ss["Body"]))
        out += head
        for q in s.questions:
            if not q.answerable or not question_relevant(t, q, values, today):
                continue
            entry = answers.get(q.id) or {}
            shown = answer_text(q, entry.get("value"))
            block: list[Flowable] = [Paragraph(esc(q.label), ss["Question"]),
                                     Paragraph(esc(shown) if shown else "<i>Not answered</i>", ss["Answer"])]
            if entry.get("evidence"):
                block.append(Paragraph("Evidence: " + esc(entry["evidence"]), ss["Evidence"]))
            # A question is not left alone at the foot of a page; long answers then flow on.
            # (CondPageBreak, not KeepTogether: it costs nothing to lay out.)
            out += [CondPageBreak(22 * mm), *block]
    return out


def told_line(a: dict[str, Any]) -> str:
    """'Told: Ali Manager, 24 Nov 2026 16:05 UTC' for an urgent action of the audit document."""
    if not a.get("told_whom") or not a.get("told_at"):
        return "Told: not recorded"
    at = datetime.fromisoformat(a["told_at"]).astimezone(timezone.utc)
    return f"Told: {a['told_whom']}, {uk_date(at.date())} {at:%H:%M} UTC"


def _actions(doc: dict[str, Any], ss: Any, width: float) -> list[Flowable]:
    actions = doc.get("actions") or []
    out: list[Flowable] = [CondPageBreak(30 * mm), Paragraph("Actions", ss["H1"])]
    if not actions:
        return out + [Paragraph("No actions were recorded.", ss["Body"])]
    data = [[Paragraph(h, ss["CellBold"]) for h in ("Action", "Owner", "Due", "Status")]]
    # Open urgent actions first: the reader must see what keeps the child safe before anything else.
    ordered = sorted(actions, key=lambda a: not (a.get("urgent") and a.get("status") == "open"))
    for a in ordered:
        status = ACTION_STATUS_LABELS.get(a.get("status"), a.get("status") or "")
        if a.get("urgent"):
            status += " (urgent)"
        text = a.get("text") or ""
        if a.get("urgent"):
            text += "\n" + told_line(a)
        # A table cell cannot break across pages, so very long action text is cut here and given in full below.
        data.append([Paragraph(esc(text if len(text) < 1200 else text[:1200] + " … (continued below)"), ss["Cell"]),
                     Paragraph(esc(a.get("owner")), ss["Cell"]), Paragraph(esc(uk_date(a.get("due"))), ss["Cell"]),
                     Paragraph(esc(status), ss["Cell"])])
    table = Table(data, colWidths=[width * 0.52, width * 0.2, width * 0.13, width * 0.15], repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4ecf2")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, pdfkit.RULE),
    ]))
    out.append(table)
    for a in actions:
        if len(a.get("text") or "") >= 1200:
            out += [Paragraph("Action in full", ss["H2"]), Paragraph(esc(a["text"]), ss["Body"])]
    return out


def _moderations(doc: dict[str, Any], t: Template, ss: Any) -> list[Flowable]:
    mods = doc.get("moderations") or []
    if not mods:
        return []
    out: list[Flowable] = [CondPageBreak(30 * mm), Paragraph("Moderation", ss["H1"])]
    for m in mods:
        who = m.get("moderator") or {}
        by = ", ".join(x for x in (who.get("name"), who.get("organisation")) if x)
        verdict = "Agreed with the judgement" if m.get("agreed") else \
            f"Moderated grade: {overall_label(t, m.get('grade'))}"
        out.append(Paragraph(f"<b>{esc(verdict)}</b> — {esc(m.get('kind', 'internal'))} moderation by {esc(by)}, "
                             f"{esc(uk_date(m.get('at')))}", ss["Body"]))
        if m.get("rationale"):
            out.append(Paragraph(esc(m["rationale"]), ss["Answer"]))
    return out


def audit_story(doc: dict[str, Any], t: Template, ss: Any | None = None, *, width: float | None = None,
                today: date | None = None, blind: bool = False) -> list[Flowable]:
    """The flowables of one audit's report, for :func:`write_audit_report` and for packs.

    ``blind`` (a blind moderation request): the evidence only, none of the auditor's judgements and no
    moderation (:mod:`qadesk.exchange.blind`)."""
    ss = ss or pdfkit.styles()
    width = width or (pdfkit.A4[0] - 2 * pdfkit.MARGIN)
    blind = blind or bool(doc.get("withheld"))  # kept back from this reader (services.blind_moderation)
    if blind:
        doc = blinded(doc)
    story = _header(doc, t, ss, width, blind)
    story += _sections(doc, t, ss, today, blind)
    summary = doc.get("summary") or {}
    story += [CondPageBreak(30 * mm), Paragraph("Summary", ss["H1"])]
    for key in SUMMARY_KEYS:
        story += [Paragraph(esc(SUMMARY_LABELS[key]), ss["H2"]),
                  Paragraph(esc(summary.get(key)) or "<i>Not recorded</i>", ss["Body"])]
    story += _actions(doc, ss, width)
    story += _moderations(doc, t, ss)
    return story


def render_audits(items: Iterable[tuple[dict[str, Any], Template]], target: Any, *, organisation: str | None,
                  title: str, total: int = 0, progress: Progress | None = None, cancel: Cancel | None = None,
                  generated: datetime | None = None, blind: bool = False) -> None:
    """Several audits' reports in one PDF (each from a new page) into a path or a binary file
    (``blind``: without the auditor's judgements, for a blind moderation request)."""
    ss = pdfkit.styles()
    story: list[Flowable] = []
    for n, (doc, t) in enumerate(items):
        check_cancel(cancel)
        if n:
            story.append(PageBreak())
        story += audit_story(doc, t, ss, blind=blind)
        report_progress(progress, n + 1, total or n + 1)
    if not story:
        story = [Paragraph("No audits were chosen.", ss["Body"]), Spacer(1, 1)]
    pdfkit.build(target, story, title=title, organisation=organisation, generated=generated)


def write_audit_pdf(path: Path, items: Sequence[tuple[dict[str, Any], Template]], *, organisation: str | None,
                    title: str, progress: Progress | None = None, cancel: Cancel | None = None) -> Path:
    """Write the reports of ``items`` (audit documents and their templates) to ``path`` as one PDF,
    whole or not at all; returns the path."""
    path = Path(path)
    with atomic_path(path) as tmp:
        render_audits(items, str(tmp), organisation=organisation, title=title, total=len(items),
                      progress=progress, cancel=cancel)
    return path
