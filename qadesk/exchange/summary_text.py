"""The QA summary in words: shared by the PDF report and the Excel return's Summary sheet."""

from __future__ import annotations

from datetime import datetime

from qadesk.core.figures import Stats
from qadesk.core.selection import Selection
from qadesk.exchange.output import uk_date


def period_text(sel: Selection) -> str:
    """The selection in words, for titles: 'Audits started 1 Nov 2026 to 30 Nov 2026; team X'."""
    if sel.since and sel.until:
        text = f"Audits started {uk_date(sel.since)} to {uk_date(sel.until)}"
    elif sel.since:
        text = f"Audits started from {uk_date(sel.since)}"
    elif sel.until:
        text = f"Audits started up to {uk_date(sel.until)}"
    else:
        text = "All audits"
    extra = []
    if sel.teams:
        extra.append(("team " if len(sel.teams) == 1 else "teams ") + ", ".join(sel.teams))
    if sel.programme:
        extra.append(f"programme {sel.programme}")
    if sel.template_id:
        extra.append(f"template {sel.template_id}")
    if sel.statuses:
        extra.append("status " + ", ".join(sel.statuses))
    if sel.audit_ids:
        n = len(sel.audit_ids)
        extra.append(f"{n} chosen audit{'' if n == 1 else 's'}")
    return "; ".join([text, *extra])


def month_label(key: str) -> str:
    """``Nov 2026`` for a ``2026-11`` key (the key itself if it is not one)."""
    try:
        return datetime.strptime(key, "%Y-%m").strftime("%b %Y")
    except ValueError:
        return key


def headline_rows(st: Stats) -> list[tuple[str, str]]:
    """The headline counts, shared by the PDF and the Excel return's Summary sheet."""
    rate = st.agreement_rate
    return [
        ("Audits in the selection", f"{st.audits:,}"),
        ("Audits completed", f"{st.completed:,}"),
        ("Drafts", f"{st.by_status.get('draft', 0):,}"),
        ("Moderated", f"{st.by_status.get('moderated', 0):,}"),
        ("Moderations", f"{st.moderations:,}"),
        ("Moderators agreed", f"{st.moderations_agreed:,}" + (f" ({rate:.0%})" if rate is not None else "")),
        ("Audits counted with a moderated grade", f"{st.regraded:,}"),
        ("Actions open", f"{st.actions_open:,}"),
        ("Actions overdue", f"{st.actions_overdue:,}"),
        ("Actions done", f"{st.actions_done:,}"),
        ("Actions cancelled", f"{st.actions_cancelled:,}"),
        ("Urgent actions open", f"{st.urgent_total:,}"),
        ("Urgent concerns with no urgent action", f"{st.unanswered_total:,}"),
    ]
