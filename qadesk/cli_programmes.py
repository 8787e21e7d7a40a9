"""``qadesk programme ...``: plan a programme, draw its sample, allocate it, follow its progress.

The same services as the Programmes screen.  ``sample`` creates nothing; ``allocate`` draws the same
sample (same seed and options), allocates it and creates the assigned drafts.  The case lines go to
stdout (``--json``: an array of objects), the counts per team and stratum to stderr.  Dates are shown
as 9 Dec 2026 and written ISO in ``--json``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from qadesk.cli_support import EXIT_OK, UsageError, _actor, _print_json, _store
from qadesk.core.dates import british_date


def _programme_dict(p: Any) -> dict[str, Any]:
    return {"name": p.name, "description": p.description,
            "template": {"id": p.template_id, "title": p.template_title} if p.template_id else None,
            "teams": list(p.teams), "target_per_team": p.target_per_team, "target": p.target,
            "starts_on": p.starts_on.isoformat() if p.starts_on else None,
            "ends_on": p.ends_on.isoformat() if p.ends_on else None,
            "started": p.started, "completed": p.completed,
            "by_team": [{"team": t.team, "started": t.started, "completed": t.completed} for t in p.by_team]}


def cmd_programme(args: argparse.Namespace) -> int:
    if args.action == "list":
        return _list(args)
    if args.action == "create":
        return _create(args)
    if args.action in ("sample", "allocate"):
        return _sample(args)
    if args.action == "status":
        return _status(args)
    if args.action == "samples":
        return _samples(args)
    if args.action == "packs":
        return _packs(args)
    return _hand_over(args)


def _list(args: argparse.Namespace) -> int:
    from qadesk.services.programmes import list_programmes

    with _store(args).session() as s:
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


def _create(args: argparse.Namespace) -> int:
    from qadesk.services.programmes import ProgrammePlan, create_programme

    plan = ProgrammePlan(name=args.name, description=args.description, starts_on=args.start, ends_on=args.end,
                         template_id=args.template, teams=args.teams, target_per_team=args.target)
    store = _store(args)
    with store.transaction() as s:
        name = create_programme(s, plan, actor=_actor(s)).name
    print(name)
    return EXIT_OK


def _options(args: argparse.Namespace) -> Any:
    from qadesk.core.sampling import SampleOptions, parse_filter

    return SampleOptions(seed=args.seed, per_team=args.per_team, percent=args.percent, stratify=args.stratify,
                         minimum_per_stratum=args.minimum_per_stratum,
                         where=tuple(parse_filter(w) for w in args.where),
                         exclude_audited_months=args.exclude_audited_months,
                         exclude_in_programme=not args.include_programme_cases,
                         teams=tuple(dict.fromkeys(t.strip() for t in args.team if t.strip())), today=date.today())


def _case_dict(c: Any) -> dict[str, Any]:
    return {"case_ref": c.case_ref, "team": c.team, "case_type": c.case_type, "reason": c.reason,
            "stratum": c.stratum, "worker": c.worker, "topped_up": c.topped_up}


def _print_counts(sample: Any) -> None:
    """The counts behind the sample, team by team and stratum by stratum, on stderr."""
    o = sample.options
    print(f"{len(sample.chosen):,} cases chosen from {sample.cases_read:,} in the case list ({o.describe()}); "
          f"case list fingerprint {sample.fingerprint[:16]}", file=sys.stderr)
    for t in sample.teams:
        print(f"  {t.team or 'no team'}: {t.chosen} of {t.target} chosen from {t.total('eligible')} eligible "
              f"({t.total('population')} cases, {t.total('not_matching')} not matching, "
              f"{t.total('in_programme')} already in the programme, {t.total('audited_recently')} audited "
              f"recently)", file=sys.stderr)
        if o.stratify:
            for x in t.strata:
                print(f"    {x.stratum or 'not recorded'}: {x.chosen} chosen, {x.places} places, "
                      f"{x.eligible} eligible of {x.population}", file=sys.stderr)
    for note in sample.notes():
        print(f"  {note}", file=sys.stderr)


def _sample(args: argparse.Namespace) -> int:
    from qadesk.services import sampling

    options = _options(args)
    store = _store(args)
    if args.action == "sample":
        with store.session() as s:
            sample = sampling.draw(s, args.name, options)
        if args.json:
            _print_json([_case_dict(c) for c in sample.chosen])
        else:
            for c in sample.chosen:
                print(f"{c.case_ref}\t{c.team or '-'}\t{c.case_type or '-'}\t{c.reason}")
        _print_counts(sample)
        return EXIT_OK
    names = [n.strip() for n in args.auditors.split(",") if n.strip()]
    if not names:
        raise UsageError('--auditors names at least one auditor: --auditors "B. Manager, C. Officer"')
    with store.transaction() as s:
        auditors = sampling.auditors_named(s, names)
        proposal = sampling.propose(s, args.name, options, auditors, not_own_team=args.not_own_team,
                                    due_on=args.due if args.due else ...)
        created = {c.case_ref: c for c in sampling.confirm(s, proposal, actor=_actor(s))}
    out = []
    for row in proposal.allocation.rows:
        c, made = proposal.case(row.case_ref), created.get(row.case_ref)
        out.append({**_case_dict(c), "auditor": row.auditor, "id": made.audit_id if made else None,
                    "reference": made.reference if made else None,
                    "due": proposal.due_on.isoformat() if made and proposal.due_on else None,
                    "note": row.note or None})
    if args.json:
        _print_json(out)
    else:
        for d in out:
            print(f"{d['case_ref']}\t{d['team'] or '-'}\t{d['auditor'] or 'NOT ALLOCATED'}\t"
                  f"{d['reference'] or d['note']}\t{d['id'] or '-'}")
    _print_counts(proposal.sample)
    due = f", due {british_date(proposal.due_on)}" if proposal.due_on else ""
    print(f"{len(created):,} assigned draft audits created in {proposal.programme}{due}; "
          + ", ".join(f"{name} {n}" for name, n in proposal.allocation.loads), file=sys.stderr)
    if proposal.allocation.unallocated:
        print(f"{len(proposal.allocation.unallocated)} cases not allocated (see above)", file=sys.stderr)
    return EXIT_OK


def _status(args: argparse.Namespace) -> int:
    from qadesk.services.assignments import programme_status

    today = date.today()
    with _store(args).session() as s:
        st = programme_status(s, args.name, today=today)
    rows = st.by_team + st.by_auditor
    if args.json:
        _print_json([p.as_dict() for p in rows])
        return EXIT_OK
    for title, group in (("Team", st.by_team), ("Auditor", st.by_auditor)):
        print(f"{title}\tassigned\tstarted\tcompleted\tmoderated\toverdue")
        for p in group:
            print(f"{p.name or 'no team'}\t{p.assigned}\t{p.started}\t{p.completed}\t{p.moderated}\t{p.overdue}")
        print()
    t = st.total
    print(f"{st.name}: {t.assigned} assigned, {t.started} started, {t.completed} completed, {t.moderated} moderated, "
          f"{t.overdue} overdue" + (f"; {st.unassigned} more audits in it without an assignment" if st.unassigned
                                    else ""))
    for a in st.overdue:
        print(f"OVERDUE\t{a.reference}\t{a.case_ref or '-'}\t{a.team or '-'}\t{a.auditor}\t"
              f"due {british_date(a.due_on) if a.due_on else '-'}\t{a.stage}")
    if not st.assigned:
        print(f"Nothing assigned in {st.name} yet: qadesk programme allocate", file=sys.stderr)
    return EXIT_OK


def _samples(args: argparse.Namespace) -> int:
    from qadesk.services.audits import iso
    from qadesk.services.sampling import sample_records

    with _store(args).session() as s:
        records = sample_records(s, args.name)
    if args.json:
        _print_json([{"drawn_at": iso(r.drawn_at), "drawn_by": r.drawn_by, "created": r.created,
                      **r.sample.to_dict(), "allocation": r.allocation} for r in records])
        return EXIT_OK
    for r in records:
        print(f"Drawn {british_date(r.drawn_at.date())} by {r.drawn_by}: {r.sample.options.describe()}; "
              f"{r.created} audits created")
        by = {x["case_ref"]: x["auditor"] for x in r.allocation.get("rows", [])}
        for c in r.sample.chosen:
            print(f"  {c.case_ref}\t{c.team or '-'}\t{c.case_type or '-'}\t{by.get(c.case_ref) or '-'}\t{c.reason}")
        for note in r.sample.notes():
            print(f"  {note}")
    if not records:
        print(f"No sample confirmed in {args.name} yet.", file=sys.stderr)
    return EXIT_OK


def _hand_over(args: argparse.Namespace) -> int:
    from qadesk.services.assignments import hand_over
    from qadesk.services.sampling import auditors_named

    store = _store(args)
    with store.transaction() as s:
        to = auditors_named(s, [args.to])[0]
        moved = hand_over(s, args.audit, to, actor=_actor(s), due_on=args.due if args.due else ...,
                          not_own_team=args.not_own_team)
    due = f", due {british_date(moved.due_on)}" if moved.due_on else ""
    print(f"{moved.reference} handed to {moved.auditor}{due}.")
    return EXIT_OK


def _packs(args: argparse.Namespace) -> int:
    from qadesk.services.assignment_packs import export_assignment_packs

    store = _store(args)
    with store.session() as s:
        me = _actor(s)
    written = export_assignment_packs(store, args.name, Path(args.to), auditors=args.auditor or None, me=me)
    if args.json:
        _print_json([{"auditor": p.auditor, "file": str(p.result.path), "pack_id": p.result.pack_id,
                      "audits": p.audits} for p in written])
    else:
        for p in written:
            print(f"{p.result.path}\t{p.auditor}\t{len(p.audits)} audits")
    n = sum(len(p.audits) for p in written)
    print(f"{len(written)} pack{'s' if len(written) != 1 else ''} of {n:,} assigned audits written; each auditor "
          f"imports theirs with: qadesk pack import FILE", file=sys.stderr)
    return EXIT_OK
