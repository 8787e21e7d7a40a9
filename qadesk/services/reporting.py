"""Reports out of the store: the QA summary report, the Excel return and audit reports.

Each use case gathers plain data in a session — the figures of :func:`qadesk.services.stats.compute`,
audit documents a batch at a time, the profile's organisation — and hands it to the writer in
:mod:`qadesk.exchange` (:mod:`~qadesk.exchange.reports`, :mod:`~qadesk.exchange.returns_xlsx`,
:mod:`~qadesk.exchange.audit_report`), which writes the file whole or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.errors import LimitError, ValidationError
from qadesk.core.indicators import IndicatorFigure
from qadesk.core.permissions import Do
from qadesk.core.selection import Selection
from qadesk.core.template import Template
from qadesk.exchange.audit_report import write_audit_pdf
from qadesk.exchange.output import Cancel, Progress, check_cancel, report_progress
from qadesk.exchange.reports import write_summary_report
from qadesk.exchange.returns_xlsx import write_return_book
from qadesk.services import permissions
from qadesk.services.audit_access import get_audit, template_for
from qadesk.services.audit_document import audit_document
from qadesk.services.blind_moderation import blind_awaiting, shown_document
from qadesk.services.indicators import latest_figures
from qadesk.services.profile import get_profile
from qadesk.services.pseudonymise import Pseudonymiser, Resolution
from qadesk.services.queries import apply, audit_batches, audit_ids, count_audits
from qadesk.services.stats import compute
from qadesk.services.templates import template_of
from qadesk.store.models import Audit, TemplateVersion

BATCH = 200  # audits read at a time: a return of 100,000 audits never holds more than this many rows
MAX_AUDITS_IN_ONE_PDF = 500


def _organisation(session: Session) -> str | None:
    profile = get_profile(session)
    return profile.organisation if profile else None


def write_report(store: Any, path: Path, selection: Selection | None = None, *, progress: Progress | None = None,
                 cancel: Cancel | None = None, today: date | None = None) -> Path:
    """Write the QA summary report (``.pdf``) or the Excel return (``.xlsx``); whole or not at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_return(store, path, selection, progress=progress, cancel=cancel, today=today)
    if suffix != ".pdf":
        raise ValidationError(f"a report is written as .pdf (the summary report) or .xlsx (the Excel return), "
                              f"not '{path.suffix or path.name}'")
    report_progress(progress, 0, 3)
    with store.session() as s:
        permissions.require(s, Do.EXPORT)
        stats = compute(s, selection, today=today)
        organisation = _organisation(s)
        indicators = report_indicators(s, selection)
    check_cancel(cancel)
    report_progress(progress, 1, 3)
    return write_summary_report(path, stats, organisation=organisation, progress=progress, cancel=cancel,
                                indicators=indicators)


def report_indicators(session: Session, selection: Selection | None) -> list[IndicatorFigure]:
    """The performance data shown beside a selection's grades: each team's latest figure of each indicator up
    to the end of the selection's period (its teams and the whole service, when it names teams)."""
    sel = selection or Selection()
    return latest_figures(session, teams=list(sel.teams) or None, until=sel.until)


def audit_documents(session: Session, sel: Selection | None, cancel: Cancel | None = None,
                    progress: Progress | None = None) -> Iterator[tuple[dict[str, Any], Template]]:
    """The selected audits as documents with their templates, a batch at a time (never all loaded at once)."""
    ids = audit_ids(session, sel)
    withheld = blind_awaiting(session)  # those waiting here for a blind moderation (one query)
    done = 0
    for batch in audit_batches(session, ids, BATCH):
        check_cancel(cancel)
        for audit in batch:
            doc = shown_document(session, audit) if audit.id in withheld else audit_document(audit)
            yield doc, template_for(audit)
        session.expunge_all()
        done += len(batch)
        report_progress(progress, done, len(ids))


def _versions_used(session: Session, selection: Selection | None) -> dict[str, list[Template]]:
    """Every version of each template the selected audits use, oldest first (the wide sheets' columns)."""
    used = select(TemplateVersion.template_id).where(
        TemplateVersion.pk.in_(apply(select(Audit.template_pk), selection or Selection())))
    rows = session.execute(select(TemplateVersion).where(TemplateVersion.template_id.in_(used))
                           .order_by(TemplateVersion.template_id, TemplateVersion.version)).scalars().all()
    versions: dict[str, list[Template]] = {}
    for r in rows:
        versions.setdefault(r.template_id, []).append(template_of(r))
    return versions


def write_return(store: Any, path: Path, selection: Selection | None = None, *, progress: Progress | None = None,
                 cancel: Cancel | None = None, today: date | None = None) -> Path:
    """Write the Excel return of the selected audits to ``path``; whole or not at all."""
    with store.session() as s:
        permissions.require(s, Do.EXPORT)
        stats = compute(s, selection, today=today)
        versions = _versions_used(s, selection)
        # The documents stream from this session into the workbook, a batch at a time.
        return write_return_book(Path(path), versions, audit_documents(s, selection, cancel, progress),
                                 stats=stats, today=today or stats.today, cancel=cancel)


def write_audit_report(session: Session, audit_id: str, path: Path, *, progress: Progress | None = None,
                       cancel: Cancel | None = None, pseudonymise: bool = False) -> Path:
    """Write one audit's report to ``path`` (PDF), whole or not at all; returns the path."""
    audit = get_audit(session, audit_id)
    doc, t = shown_document(session, audit), template_for(audit)
    if pseudonymise:
        # No preview here: whatever still looks identifying is masked too.
        doc = Pseudonymiser(session, Resolution(rest="mask")).apply(doc, t)
    return write_audit_pdf(Path(path), [(doc, t)], organisation=_organisation(session),
                           title=f"Audit report {doc['reference']}", progress=progress, cancel=cancel)


def write_audit_reports(store: Any, path: Path, selection: Selection | None = None, *,
                        progress: Progress | None = None, cancel: Cancel | None = None) -> Path:
    """The reports of the selected audits in one PDF, each from a new page (at most 500 audits)."""
    with store.session() as s:
        permissions.require(s, Do.EXPORT)
        n = count_audits(s, selection)
        if n > MAX_AUDITS_IN_ONE_PDF:
            raise LimitError(f"{n:,} audits are chosen; one PDF holds at most {MAX_AUDITS_IN_ONE_PDF:,} audit reports "
                             f"(choose fewer, or use the Excel return)")
        organisation = _organisation(s)
        items = list(audit_documents(s, selection, cancel))
    title = f"Audit reports ({len(items)})" if len(items) != 1 else f"Audit report {items[0][0]['reference']}"
    return write_audit_pdf(Path(path), items, organisation=organisation, title=title, progress=progress,
                           cancel=cancel)
