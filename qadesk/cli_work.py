"""``qadesk action ...``, ``qadesk moderation ...`` and ``qadesk programme ...``: the QA cycle after the audit.

The same services as the Actions, Moderation and Programmes screens. Dates are shown as
9 Dec 2026 and written ISO in ``--json``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone
from typing import Any

from qadesk.cli_support import (
    EXIT_OK,
    UsageError,
    _actor,
    _iso_date,
    _print_json,
    _store,
    add_selection,
    check_chosen,
    selection_from,
)
from qadesk.core.dates import british_date
from qadesk.core.errors import NotFound, StateError, ValidationError

ACTION_SHOW = ("open", "done", "cancelled", "overdue", "all")
MAX_TEXT = 10_000


def _when(text: str) -> datetime:
    """``--told-at``: an ISO date and time (``2026-12-09T14:30``, local time unless an offset is given) or a date."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date and time: write YYYY-MM-DDTHH:MM") from None
    return (value if value.tzinfo else value.astimezone()).astimezone(timezone.utc)


def _teams(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def add_parsers(sub: Any) -> None:
    ac = sub.add_parser("action", help="actions from audits: list, add, mark done")
    acsub = ac.add_subparsers(dest="action", metavar="ACTION", required=True)
    al = acsub.add_parser("list", help="actions, urgent first then soonest due")
    al.add_argument("--status", choices=ACTION_SHOW, default="open",
                    help="open (the default), done, cancelled, overdue (open and past due) or all")
    al.add_argument("--owner", metavar="NAME", help="owned by this person")
    al.add_argument("--urgent", action="store_true", help="urgent actions only")
    al.add_argument("--overdue", action="store_true", help="past their due date only")
    add_selection(al, statuses=False)
    al.add_argument("--limit", type=int, default=None, metavar="N")
    al.add_argument("--json", action="store_true")
    aa = acsub.add_parser("add", help="add an action to an audit; prints its id")
    aa.add_argument("audit", metavar="AUDIT", help="the audit's id or reference")
    aa.add_argument("--text", required=True, help="what must happen")
    aa.add_argument("--owner", metavar="NAME")
    aa.add_argument("--due", type=_iso_date, metavar="YYYY-MM-DD")
    aa.add_argument("--urgent", action="store_true", help="needed to keep the child safe")
    aa.add_argument("--told", metavar="WHO", help="urgent: who was told of the concern")
    aa.add_argument("--told-at", type=_when, metavar="DATETIME", help="urgent: when they were told (ISO)")
    ad = acsub.add_parser("done", help="mark an action done, with a note of what was done")
    ad.add_argument("id", metavar="ACTION_ID")
    ad.add_argument("--note", required=True, help="what was done, and when")

    mo = sub.add_parser("moderation", help="record moderations; list what awaits moderation and what was recorded")
    mosub = mo.add_subparsers(dest="action", metavar="ACTION", required=True)
    mr = mosub.add_parser("record", help="record a moderation of a completed audit by the profile's person")
    mr.add_argument("audit", metavar="AUDIT", help="the audit's id or reference")
    view = mr.add_mutually_exclusive_group(required=True)
    view.add_argument("--agree", action="store_true", help="agree with the auditor's overall grade")
    view.add_argument("--grade", metavar="GRADE", help="the moderated grade (a value of the overall scale)")
    mr.add_argument("--rationale", help="why (needed with --grade)")
    mr.add_argument("--kind", choices=["internal", "external"], default="internal")
    ml = mosub.add_parser("list", help="moderations recorded, newest first (or --awaiting)")
    ml.add_argument("--awaiting", action="store_true",
                    help="instead: completed audits awaiting moderation, oldest completed first")
    add_selection(ml)
    ml.add_argument("--limit", type=int, default=None, metavar="N")
    ml.add_argument("--json", action="store_true")

    pg = sub.add_parser("programme", help="audit programmes: list them with their progress, create one")
    pgsub = pg.add_subparsers(dest="action", metavar="ACTION", required=True)
    pl = pgsub.add_parser("list", help="programmes and how far each has got")
    pl.add_argument("--json", action="store_true")
    pc = pgsub.add_parser("create", help="plan a programme; prints its name")
    pc.add_argument("--name", required=True)
    pc.add_argument("--template", metavar="ID", help="the template its audits use")
    pc.add_argument("--teams", type=_teams, default=[], metavar="TEAM,TEAM", help="the teams taking part")
    pc.add_argument("--target", type=int, metavar="N", help="audits per team (per programme without --teams)")
    pc.add_argument("--start", "--starts", dest="start", type=_iso_date, metavar="YYYY-MM-DD")
    pc.add_argument("--end", "--ends", dest="end", type=_iso_date, metavar="YYYY-MM-DD")
    pc.add_argument("--description")


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
                             rationale=(args.rationale or "").strip() or None, kind=args.kind)
            audit = svc.get_audit(s, m.audit_id)
            t = svc.template_for(audit)
            reference = audit.reference
            labels = {c.value: c.label for c in t.overall_choices()}
            grade = labels.get(m.grade or "", m.grade or "no grade")
        verdict = "agreed with the auditor's grade" if m.agreed else f"moderated grade {grade}"
        print(f"{reference}: {args.kind} moderation recorded by {moderator.name} — {verdict}.")
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
    with store.session() as s:
        rows = list_audits(s, sel, sort="completed_at", descending=False, limit=args.limit)
        labels = grade_labels(s)
    if args.json:
        _print_json([r.as_dict() for r in rows])
        return EXIT_OK
    for r in rows:
        grade = labels.get((r.template_id, r.template_version), {}).get(r.grade or "", r.grade or "-")
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
              f"auditor {auditor}, {verdict}" + (f"\t{m.rationale}" if m.rationale else ""))
    if not rows:
        print("No moderations recorded" + (" for these audits." if chosen is not None else " yet."), file=sys.stderr)
    return EXIT_OK


# ---- programmes ------------------------------------------------------------------------------


def _programme_dict(p: Any) -> dict[str, Any]:
    return {"name": p.name, "description": p.description,
            "template": {"id": p.template_id, "title": p.template_title} if p.template_id else None,
            "teams": list(p.teams), "target_per_team": p.target_per_team, "target": p.target,
            "starts_on": p.starts_on.isoformat() if p.starts_on else None,
            "ends_on": p.ends_on.isoformat() if p.ends_on else None,
            "started": p.started, "completed": p.completed,
            "by_team": [{"team": t.team, "started": t.started, "completed": t.completed} for t in p.by_team]}


def cmd_programme(args: argparse.Namespace) -> int:
    from qadesk.services.programmes import ProgrammePlan, create_programme, list_programmes

    store = _store(args)
    if args.action == "list":
        with store.session() as s:
            progs = list_programmes(s)
        if args.json:
            _print_json([_programme_dict(p) for p in progs])
            return EXIT_OK
        for p in progs:
            when = " to ".join(british_date(d) for d in (p.starts_on, p.ends_on) if d) or "no dates"
            target = f" of {p.target:,}" if p.target else ""
            print(f"{p.name}\t{p.template_title or p.template_id or 'any template'}\t{when}\t"
                  f"{p.describe_target()}\t{p.completed:,}{target} completed, {p.started:,} started")
        if not progs:
            print("No programmes yet: qadesk programme create --name NAME --template ID", file=sys.stderr)
        return EXIT_OK
    plan = ProgrammePlan(name=args.name, description=args.description, starts_on=args.start, ends_on=args.end,
                         template_id=args.template, teams=args.teams, target_per_team=args.target)
    with store.transaction() as s:
        prog = create_programme(s, plan, actor=_actor(s))
        name = prog.name
    print(name)
    return EXIT_OK
