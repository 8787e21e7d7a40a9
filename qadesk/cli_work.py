"""``qadesk action ...`` and ``qadesk moderation ...``: the QA cycle after the audit.

The same services as the Actions and Moderation screens (programmes: :mod:`qadesk.cli_programmes`).
Dates are shown as 9 Dec 2026 and written ISO in ``--json``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from qadesk.cli_support import (
    EXIT_OK,
    UsageError,
    _actor,
    _pairs,
    _print_json,
    _store,
    check_chosen,
    selection_from,
)
from qadesk.core.dates import british_date
from qadesk.core.errors import NotFound, StateError, ValidationError

MAX_TEXT = 10_000


# ---- actions ---------------------------------------------------------------------------------


def _action_dict(a: Any, today: date) -> dict[str, Any]:
    from qadesk.services.audits import iso

    return {"id": a.id, "audit": {"id": a.audit_id, "reference": a.audit_reference}, "text": a.text,
            "owner": a.owner, "due": a.due.isoformat() if a.due else None, "status": a.status,
            "urgent": bool(a.urgent), "overdue": a.overdue(today), "team": a.team,
            "told_whom": a.told_whom, "told_at": iso(a.told_at)}


def cmd_action(args: argparse.Namespace) -> int:
    from qadesk.services import audits as svc
    from qadesk.services.queries import list_actions

    store = _store(args)
    if args.action == "list":
        if args.limit is not None and args.limit < 1:
            raise UsageError("--limit takes a whole number from 1")
        check_chosen(store, args)
        today = date.today()
        status = {"all": None, "overdue": "open"}.get(args.status, args.status)
        with store.session() as s:
            rows = list_actions(s, status=status, owner=args.owner, urgent_only=args.urgent,
                                selection=selection_from(args), overdue_only=args.overdue or args.status == "overdue",
                                today=today, limit=args.limit)
        if args.json:
            _print_json([_action_dict(a, today) for a in rows])
            return EXIT_OK
        for a in rows:
            flags = ["URGENT"] if a.urgent else []
            if a.overdue(today):
                flags.append("OVERDUE")
            told = ""
            if a.urgent and a.told_whom:
                told = f"\ttold {a.told_whom}" + (f" on {british_date(a.told_at.astimezone().date())}"
                                                  if a.told_at else "")
            print(f"{a.audit_reference}\t{a.status}{''.join(' ' + f for f in flags)}\t"
                  f"due {british_date(a.due) if a.due else '-'}\t{a.owner or '-'}\t{a.text}{told}\t{a.id}")
        if not rows:
            print("No actions match.", file=sys.stderr)
        return EXIT_OK
    if args.action == "add":
        text = args.text.strip()
        if len(text) > MAX_TEXT:
            raise ValidationError(f"an action's text is longer than {MAX_TEXT:,} characters")
        if (args.told or args.told_at) and not args.urgent:
            raise UsageError("--told and --told-at record who was told of an urgent concern: add --urgent")
        if args.urgent and not ((args.told or "").strip() and args.told_at):
            # Submit needs every urgent action to say who was told and when, and the command line cannot
            # change an action afterwards: an urgent action without them would hold the audit back for good.
            raise UsageError("an urgent action says who was told of the concern and when: "
                             "add --told WHO --told-at DATETIME")
        with store.transaction() as s:
            item = svc.add_action(s, args.audit, text, actor=_actor(s), owner=(args.owner or "").strip() or None,
                                  due=args.due, urgent=args.urgent, told_whom=(args.told or "").strip() or None,
                                  told_at=args.told_at)
            ident, reference = item.id, svc.get_audit(s, item.audit_id).reference
        print(ident)
        print(f"Action added to {reference}" + (f", due {british_date(args.due)}" if args.due else "")
              + (" (urgent)" if args.urgent else ""), file=sys.stderr)
        return EXIT_OK
    # done
    note = args.note.strip()
    if not note:
        raise ValidationError("say what was done (--note)")
    if len(note) > MAX_TEXT:
        raise ValidationError(f"the note is longer than {MAX_TEXT:,} characters")
    with store.transaction() as s:
        from qadesk.store.models import ActionItem

        item = s.get(ActionItem, args.id)
        if item is None:
            raise NotFound(f"no action '{args.id}' (qadesk action list shows each action's id)")
        if item.status != "open":
            raise StateError(f"that action is already {item.status}")
        svc.update_action(s, args.id, actor=_actor(s), status="done", closing_note=note)
        reference = svc.get_audit(s, item.audit_id).reference
    print(f"Action on {reference} marked done.")
    return EXIT_OK


# ---- moderation ------------------------------------------------------------------------------


def cmd_moderation(args: argparse.Namespace) -> int:
    from qadesk.services import audits as svc
    from qadesk.services.profile import get_profile

    store = _store(args)
    if args.action == "record":
        with store.transaction() as s:
            profile = get_profile(s)
            moderator = svc.Actor(name=_actor(s), role=profile.role if profile else None,
                                  organisation=profile.organisation if profile else None)
            m = svc.moderate(s, args.audit, moderator=moderator, agreed=args.agree, grade=args.grade,
                             rationale=(args.rationale or "").strip() or None, kind=args.kind,
                             sections=dict(_pairs(args.section, "SECTION")) or None,
                             learning_points=args.learning_points)
            audit = svc.get_audit(s, m.audit_id)
            t = svc.template_for(audit)
            reference = audit.reference
            labels = {c.value: c.label for c in t.overall_choices()}
            grade = labels.get(m.grade or "", m.grade or "no grade")
            kind = m.kind  # the kind chosen when the judgements were recorded blind, if they were
        verdict = "agreed with the auditor's grade" if m.agreed else f"moderated grade {grade}"
        print(f"{reference}: {kind} moderation recorded by {moderator.name} — {verdict}.")
        return EXIT_OK
    if args.limit is not None and args.limit < 1:
        raise UsageError("--limit takes a whole number from 1")
    check_chosen(store, args)
    if args.awaiting:
        return _awaiting(store, args)
    return _recorded(store, args)


def _awaiting(store: Any, args: argparse.Namespace) -> int:
    from qadesk.services.overview import grade_labels
    from qadesk.services.queries import list_audits

    sel = selection_from(args)
    if sel.statuses and set(sel.statuses) != {"completed"}:
        raise UsageError("--awaiting lists completed audits; leave out --status")
    sel.statuses = ["completed"]
    from qadesk.services.blind_moderation import blind_awaiting, blind_by_default

    with store.session() as s:
        rows = list_audits(s, sel, sort="completed_at", descending=False, limit=args.limit)
        labels = grade_labels(s)
        # Blind moderation: whoever lists what awaits moderation sees no auditor's grade (the window's
        # list withholds it too); an audit sent here for blind moderation is blind whatever the setting.
        everyone = blind_by_default(s)
        sent_blind = blind_awaiting(s)
    hidden = {r.id for r in rows if everyone or r.id in sent_blind}
    if args.json:
        _print_json([{**r.as_dict(), "grade": None, "auditor_grade": None, "blind": True} if r.id in hidden
                     else {**r.as_dict(), "blind": False} for r in rows])
        return EXIT_OK
    for r in rows:
        grade = "(blind)" if r.id in hidden else labels.get((r.template_id, r.template_version), {}).get(
            r.grade or "", r.grade or "-")
        done = british_date(r.completed_at.astimezone().date()) if r.completed_at else "-"
        print(f"{r.reference}\tcompleted {done}\t{r.team or '-'}\t{r.auditor or '-'}\t{grade}\t{r.id}")
    print(f"{len(rows):,} completed audit{'s' if len(rows) != 1 else ''} awaiting moderation.", file=sys.stderr)
    return EXIT_OK


def _recorded(store: Any, args: argparse.Namespace) -> int:
    from qadesk.services.audits import iso
    from qadesk.services.overview import grade_labels, list_moderations
    from qadesk.services.queries import audit_ids

    sel = selection_from(args)
    with store.session() as s:
        chosen = None if sel.is_empty() else set(audit_ids(s, sel))
        rows = [m for m in list_moderations(s, limit=1_000_000) if chosen is None or m.audit_id in chosen]
        labels = grade_labels(s)
    if args.limit:
        rows = rows[:args.limit]
    if args.json:
        _print_json([{"id": m.id, "audit": {"id": m.audit_id, "reference": m.audit_reference},
                      "moderator": {"name": m.moderator, "organisation": m.organisation}, "kind": m.kind,
                      "agreed": m.agreed, "auditor_grade": m.audit_grade, "grade": m.moderated_grade,
                      "rationale": m.rationale, "at": iso(m.at)} for m in rows])
        return EXIT_OK
    for m in rows:
        names = labels.get((m.template_id, m.template_version), {})
        auditor = names.get(m.audit_grade or "", m.audit_grade or "-")
        verdict = "agreed" if m.agreed else f"changed to {names.get(m.moderated_grade or '', m.moderated_grade)}"
        who = m.moderator + (f", {m.organisation}" if m.organisation else "")
        print(f"{british_date(m.at.astimezone().date())}\t{m.audit_reference}\t{m.kind}\t{who}\t"
              f"auditor {auditor}, {verdict}\t{m.id[:8]}" + (f"\t{m.rationale}" if m.rationale else ""))
    if not rows:
        print("No moderations recorded" + (" for these audits." if chosen is not None else " yet."), file=sys.stderr)
    return EXIT_OK
