"""The Excel return (openpyxl, write-only so large returns stream).

Sheets: Summary (the same counts as the PDF report), Audits (a row an
audit), Answers (a row an answer), one wide sheet per template whose columns
stay put across template versions (matched by question id; the union of the
ids of every version, in first-seen order, so a removed question leaves its
column empty rather than shifting the rest), Actions and Moderation.

Every piece of user text is written as text: a note that starts with ``=``
stays a note in the moderator's Excel (data type ``s`` and a quote prefix).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from qadesk.core.audit import SUMMARY_KEYS, SUMMARY_LABELS, question_relevant
from qadesk.core.figures import FINAL_GRADE_NOTE, Stats
from qadesk.core.scoring import question_score
from qadesk.core.template import Template
from qadesk.exchange.agreement_report import agreement_sheet_rows, drift_sheet_rows
from qadesk.exchange.blind import BLIND_NOTE, blinded
from qadesk.exchange.display import answer_text, final_grade_of, grade_label, overall_label
from qadesk.exchange.output import Cancel, atomic_path, check_cancel
from qadesk.exchange.summary_text import headline_rows, month_label, period_text
from qadesk.exchange.xlsx_text import looks_like_formula, set_text

MAX_CELL = 32_000  # Excel keeps at most 32,767 characters in a cell
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="0B4F6C")
BATCH = 200


def _dt(value: str | None) -> datetime | date | None:
    """An ISO date or datetime as a naive Excel date (Excel has no time zones)."""
    if not value:
        return None
    try:
        if "T" in value:
            return datetime.fromisoformat(value).replace(tzinfo=None)
        return date.fromisoformat(value)
    except ValueError:
        return None


class Sheet:
    """One write-only worksheet: header, widths, frozen header, auto filter, text written as text."""

    def __init__(self, wb: Workbook, title: str, columns: Sequence[tuple[str, float]], *, label_row: list[str] | None = None) -> None:
        self.ws = wb.create_sheet(title)
        self.width = len(columns)
        for i, (_, w) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(i)].width = w
        self.header_row = 2 if label_row is not None else 1
        # Write-only sheets write their views with the first row: freeze before appending.
        self.ws.freeze_panes = f"A{self.header_row + 1}"
        if label_row is not None:
            self.ws.append([self._head(v, bold=False) for v in label_row])
        self.ws.append([self._head(name) for name, _ in columns])
        self.rows = self.header_row

    def _head(self, value: str, bold: bool = True) -> WriteOnlyCell:
        c = set_text(WriteOnlyCell(self.ws), ILLEGAL_CHARACTERS_RE.sub("", value))
        if bold:
            c.font, c.fill = HEADER_FONT, HEADER_FILL
        else:
            c.alignment = Alignment(wrap_text=True, vertical="top")
        return c

    def text(self, value: Any) -> Any:
        """User text as a text cell, never a formula; clipped to what a cell holds."""
        if value is None:
            return None
        s = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        if len(s) > MAX_CELL:
            s = s[:MAX_CELL] + " … (cut: the full text is in qadesk)"
        if not looks_like_formula(s):
            return s  # openpyxl writes any other str as a string cell
        return set_text(WriteOnlyCell(self.ws), s)

    def when(self, value: date | datetime | None) -> Any:
        if value is None:
            return None
        c = WriteOnlyCell(self.ws, value=value)
        c.number_format = "dd mmm yyyy hh:mm" if isinstance(value, datetime) else "dd mmm yyyy"
        return c

    def append(self, row: list[Any]) -> None:
        self.ws.append(row)
        self.rows += 1

    def finish(self) -> None:
        self.ws.auto_filter.ref = f"A{self.header_row}:{get_column_letter(max(self.width, 1))}{max(self.rows, self.header_row)}"


def _sheet_title(template_id: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "-", template_id)[:28] or "template"
    title, n = base, 2
    while title.lower() in used or title.lower() in {"summary", "audits", "answers", "actions", "moderation"}:
        title, n = f"{base[:26]}-{n}", n + 1
    used.add(title.lower())
    return title


class ReturnBook:
    """Builds the return from audit documents: ``add(doc, template)`` for each, then :meth:`save`.

    ``blind`` (a blind moderation request's workbook): the documents go in without the auditor's judgements
    and moderations (:mod:`qadesk.exchange.blind`), and the Summary says so."""

    def __init__(self, versions: dict[str, list[Template]], stats: Stats | None, today: date | None = None,
                 *, blind: bool = False) -> None:
        self.wb = Workbook(write_only=True)
        self.today = today or date.today()
        self.blind = blind
        if stats is not None:
            self._summary(stats)
        self.audits = Sheet(self.wb, "Audits", [
            ("Reference", 15), ("Audit id", 38), ("Template", 30), ("Template id", 24), ("Version", 8),
            ("Status", 11), ("Case reference", 15), ("Case type", 9), ("Team", 20), ("Practitioner", 20),
            ("Auditor", 20), ("Auditor role", 18), ("Programme", 20), ("Started", 17), ("Completed", 17),
            # The final grade is the one the audit counts with (the Summary sheet's counts): the latest
            # moderation's grade, else the auditor's (docs/packs-and-reports.md, "The final grade").
            ("Final grade", 22), ("Auditor's grade", 22), ("Suggested grade", 22), ("Rationale", 40), ("Actions", 8),
            ("Moderated grade", 22), *[(SUMMARY_LABELS[k], 40) for k in SUMMARY_KEYS]])
        self.answers = Sheet(self.wb, "Answers", [
            ("Audit", 15), ("Template id", 24), ("Version", 8), ("Section", 18), ("Question id", 20),
            ("Question", 50), ("Answer", 40), ("Score", 7), ("Evidence", 50)])
        self.wide: dict[str, tuple[Sheet, dict[str, int], list[str]]] = {}
        used: set[str] = set()
        for template_id, vs in versions.items():
            qids: list[str] = []
            labels: dict[str, str] = {}
            sids: list[str] = []
            for t in sorted(vs, key=lambda x: x.version):
                for s in t.sections:
                    if s.grade_list and s.id not in sids:
                        sids.append(s.id)
                    for q in s.questions:
                        if q.answerable and q.id not in labels:
                            qids.append(q.id)
                        labels[q.id] = q.label  # the newest wording names the column
                        if s.grade_list:
                            labels["judgement." + s.id] = f"Judgement: {s.title}"
            cols = ["judgement." + s for s in sids] + qids
            fixed = [("Audit", 15), ("Version", 8), ("Status", 11), ("Team", 20), ("Started", 14),
                     ("Final grade", 22), ("Auditor's grade", 22)]
            sheet = Sheet(self.wb, _sheet_title(template_id, used), fixed + [(c, 24) for c in cols],
                          label_row=[""] * len(fixed) + [labels.get(c, c) for c in cols])
            self.wide[template_id] = (sheet, {c: i for i, c in enumerate(cols)}, cols)
        self.actions = Sheet(self.wb, "Actions", [
            ("Audit", 15), ("Team", 20), ("Action", 60), ("Owner", 20), ("Due", 13), ("Status", 10),
            ("Urgent", 8), ("Overdue", 8), ("Who was told", 24), ("When told (UTC)", 17)])
        self.moderation = Sheet(self.wb, "Moderation", [
            ("Audit", 15), ("Team", 20), ("Moderator", 22), ("Organisation", 24), ("Kind", 10), ("Agreed", 8),
            ("Auditor's grade", 22), ("Moderated grade", 22), ("Rationale", 60), ("Date", 14),
            # The moderator's own overall grade (recorded before they saw the auditor's where judged blind),
            # the learning points for the auditor, and how many notes and responses followed.
            ("Moderator's own grade", 22), ("Judged blind", 8), ("Learning points", 60), ("Dialogue entries", 9)])
        if stats is not None:
            self._agreement(stats)

    def _agreement(self, st: Stats) -> None:
        """Agreement between auditors and moderators per group, then each auditor's drift (from the store)."""
        sh = Sheet(self.wb, "Agreement", [
            ("By", 12), ("Group", 26), ("Scale", 12), ("n", 6), ("Exact", 9), ("Within one grade", 10),
            ("Kappa (linear)", 12), ("Kappa (quadratic)", 13), ("Kappa 95% CI low", 11), ("Kappa 95% CI high", 11),
            ("AC2 (quadratic)", 12), ("Too few to judge", 26)])
        for row in agreement_sheet_rows(st):
            sh.append([sh.text(v) if isinstance(v, str) else v for v in row])
        sh.append([])
        sh.append([sh.text(v) for v in ("Drift", "Auditor", "Scale", "n", "Mean (grades)", "95% CI low",
                                        "95% CI high", "Graded higher", "Graded lower", "Direction", "Warning")])
        for row in drift_sheet_rows(st):
            sh.append([None, *[sh.text(v) if isinstance(v, str) else v for v in row]])

    def _summary(self, st: Stats) -> None:
        width = max((len(sc.labels) for sc in st.scales), default=0)
        sh = Sheet(self.wb, "Summary", [("Measure", 40), ("Count", 14)] + [("", 16)] * width)
        sh.append([sh.text("Selection"), sh.text(period_text(st.selection))])
        if self.blind:
            sh.append([sh.text("Blind moderation request"), sh.text(BLIND_NOTE)])
        sh.append([sh.text("Grades counted"), sh.text(FINAL_GRADE_NOTE)])
        for label, value in headline_rows(st):
            sh.append([sh.text(label), int(value.split(" ")[0].replace(",", ""))])
        # Urgent concerns head the figures until done: open urgent actions, then concerns with none.
        sh.append([])
        # No free text or names here: the Summary comes from the store, the other sheets from the (perhaps
        # pseudonymised) documents; the Actions sheet has each urgent action's words and who was told.
        sh.append([sh.text("Urgent concerns (the actions are on the Actions sheet)"), sh.text("Audit"),
                   sh.text("Team"), sh.text("Due"), sh.text("Told recorded")])
        for u in st.urgent:
            sh.append([sh.text("Open urgent action"), sh.text(u.audit_reference), sh.text(u.team), sh.when(u.due),
                       sh.text("Yes" if u.told_whom and u.told_at else "No")])
        for c in st.unanswered:
            sh.append([sh.text(f"Concern with no urgent action: {c.question}"), sh.text(c.audit_reference),
                       sh.text(c.team)])
        if not st.urgent and not st.unanswered:
            sh.append([sh.text("No urgent actions are open and no audit flags an urgent concern without one.")])
        for scale in st.scales:
            for title, groups in (("Grades by team", scale.by_team), ("Grades by case type", scale.by_case_type),
                                  ("Grades by month", scale.by_month)):
                sh.append([])
                name = f"{title} ({scale.name})" if len(st.scales) > 1 else title
                sh.append([sh.text(name), sh.text("Graded"), *[sh.text(g) for g in scale.labels]])
                for key, counts in groups.items():
                    row_name = month_label(key) if title == "Grades by month" else key
                    sh.append([sh.text(row_name), sum(counts.values()), *[counts.get(g, 0) for g in scale.labels]])
        sh.append([])
        sh.append([sh.text("Overdue actions by team"), sh.text("Overdue")])
        for team, n in st.overdue_by_team.items():
            sh.append([sh.text(team), n])
        sh.append([])
        sh.append([sh.text("Learning themes (lowest choice given)"), sh.text("Fell short"), sh.text("Scored answers")])
        for th in st.themes:
            sh.append([sh.text(f"{th.label} ({th.template_title})"), th.short, th.answered])
        sh.ws.freeze_panes = "A2"

    def add(self, doc: dict[str, Any], t: Template) -> None:
        """One audit's rows on every sheet."""
        if self.blind:
            doc = blinded(doc)
        a, subj = self.audits, doc.get("subject") or {}
        ref = doc["reference"]
        overall = doc.get("overall") or {}
        mods = doc.get("moderations") or []
        last_mod = max(mods, key=lambda m: str(m.get("at") or "")) if mods else None
        # A draft's grade is still the auditor's work in progress (its own column): it has no final grade
        # yet, and the Summary does not count it.
        final = overall_label(t, final_grade_of(doc)) if doc["status"] != "draft" else None
        summary = doc.get("summary") or {}
        a.append([a.text(ref), a.text(doc["id"]), a.text(t.title), a.text(t.id), t.version, a.text(doc["status"]),
                  a.text(subj.get("case_ref")), a.text(subj.get("case_type")), a.text(subj.get("team")),
                  a.text(subj.get("practitioner")), a.text((doc.get("auditor") or {}).get("name")),
                  a.text((doc.get("auditor") or {}).get("role")), a.text(doc.get("programme")),
                  a.when(_dt(doc.get("started_at"))), a.when(_dt(doc.get("completed_at"))),
                  a.text(final), a.text(overall_label(t, overall.get("grade"))),
                  a.text(overall_label(t, overall.get("suggested"))),
                  a.text(overall.get("rationale")), len(doc.get("actions") or []),
                  a.text(overall_label(t, last_mod.get("grade")) if last_mod else None),
                  *[a.text(summary.get(k)) for k in SUMMARY_KEYS]])
        answers = doc.get("answers") or {}
        values = {k: v.get("value") for k, v in answers.items() if isinstance(v, dict)}
        wide, index, cols = self.wide[t.id]
        row: list[Any] = [None] * len(cols)
        w = self.answers
        for q in t.questions():
            entry = answers.get(q.id)
            if not entry or not question_relevant(t, q, values):
                continue
            shown = answer_text(q, entry.get("value"))
            score = question_score(q, entry.get("value"))
            w.append([w.text(ref), w.text(t.id), t.version, w.text(q.section_id), w.text(q.id), w.text(q.label),
                      w.text(shown), score, w.text(entry.get("evidence"))])
            if q.id in index:
                v = entry.get("value")
                row[index[q.id]] = v if q.type in ("integer", "decimal", "range") and isinstance(v, (int, float)) \
                    else wide.when(_dt(v)) if q.type == "date" else wide.text(shown)
        for sid, j in (doc.get("sections") or {}).items():
            key = "judgement." + sid
            if key in index:
                try:
                    lst = t.section(sid).grade_list
                except KeyError:
                    lst = None
                row[index[key]] = wide.text(grade_label(t, lst, j.get("grade")))
        wide.append([wide.text(ref), t.version, wide.text(doc["status"]), wide.text(subj.get("team")),
                     wide.when(_dt((doc.get("started_at") or "")[:10])), wide.text(final),
                     wide.text(overall_label(t, overall.get("grade"))), *row])
        x = self.actions
        for act in doc.get("actions") or []:
            due = _dt(act.get("due"))
            overdue = act.get("status") == "open" and isinstance(due, date) and due < self.today
            x.append([x.text(ref), x.text(subj.get("team")), x.text(act.get("text")), x.text(act.get("owner")),
                      x.when(due), x.text(act.get("status")), "Yes" if act.get("urgent") else "No",
                      "Yes" if overdue else "No", x.text(act.get("told_whom")),
                      x.text(act["told_at"][:16].replace("T", " ") if act.get("told_at") else None)])
        m = self.moderation
        for mod in mods:
            who = mod.get("moderator") or {}
            m.append([m.text(ref), m.text(subj.get("team")), m.text(who.get("name")), m.text(who.get("organisation")),
                      m.text(mod.get("kind")), "Yes" if mod.get("agreed") else "No",
                      m.text(overall_label(t, overall.get("grade"))), m.text(overall_label(t, mod.get("grade"))),
                      m.text(mod.get("rationale")), m.when(_dt((mod.get("at") or "")[:10])),
                      m.text(overall_label(t, mod.get("own_grade")) if mod.get("own_grade") else None),
                      "Yes" if mod.get("blind") else "No", m.text(mod.get("learning_points")),
                      len(mod.get("notes") or [])])

    def discard(self) -> None:
        """Close and delete the sheets' temporary files after a cancel or a failure."""
        import contextlib
        import os

        for ws in self.wb.worksheets:
            with contextlib.suppress(Exception):  # best effort: the sheet may be closed already
                ws.close()
            out = getattr(getattr(ws, "_writer", None), "out", None)
            if isinstance(out, str) and os.path.exists(out):
                os.remove(out)

    def save(self, target: Any) -> None:
        for sheet in (self.audits, self.answers, self.actions, self.moderation, *[w[0] for w in self.wide.values()]):
            sheet.finish()
        self.wb.save(target)


def write_documents(items: Iterable[tuple[dict[str, Any], Template]], target: Any, *, stats: Stats | None,
                    today: date | None = None, blind: bool = False) -> None:
    """A return of the given audit documents (used by packs, where they may be pseudonymised; ``blind``:
    a blind moderation request's, without the auditor's judgements)."""
    items = list(items)
    versions: dict[str, dict[int, Template]] = {}
    for _, t in items:
        versions.setdefault(t.id, {})[t.version] = t
    book = ReturnBook({k: list(v.values()) for k, v in versions.items()}, stats, today, blind=blind)
    try:
        for doc, t in items:
            book.add(doc, t)
        book.save(target)
    except BaseException:
        book.discard()
        raise


def write_return_book(path: Path, versions: dict[str, list[Template]], items: Iterable[tuple[dict[str, Any], Template]],
                      *, stats: Stats | None, today: date | None = None, cancel: Cancel | None = None) -> Path:
    """Write the Excel return of ``items`` (audit documents and their templates) to ``path``, whole or not at all.

    ``versions`` are every template version the audits may use, per template id, oldest first: they
    fix each wide sheet's columns before the first row.  ``items`` is read once, as it comes, so a
    generator that fetches a batch at a time keeps a return of 100,000 audits in bounded memory.
    """
    path = Path(path)
    book = ReturnBook(versions, stats, today or (stats.today if stats is not None else None))
    try:
        for doc, t in items:
            book.add(doc, t)
        check_cancel(cancel)
        with atomic_path(path) as tmp:
            book.save(str(tmp))
    except BaseException:
        book.discard()
        raise
    return path
