"""``qadesk moderation sample`` and ``stats``: choosing what to moderate, and how far moderation agrees.

The same services as the Moderation screen's "Choose what to moderate" (:mod:`qadesk.services.moderation_sampling`).
The chosen audits go to stdout, one line each (``--json``: an array of objects with ``id``, ``reference``,
``auditor``, ``grade``, ``completed_on``, ``step`` and ``reason``); the counts and notes to stderr.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qadesk.cli_support import EXIT_OK, _actor, _pairs, _print_json, _store, check_chosen, selection_from
from qadesk.core.dates import british_date

ACTIONS = ("sample", "stats", "judge", "evidence", "note", "blind")


def cmd_moderation(args: argparse.Namespace) -> int:
    return {"sample": _sample, "stats": _stats, "judge": _judge, "evidence": _evidence, "note": _note,
            "blind": _blind}[args.action](args)


def _moderator(s: Any) -> Any:
    from qadesk.services.audit_access import Actor
    from qadesk.services.profile import get_profile

    profile = get_profile(s)
    return Actor(name=_actor(s), role=profile.role if profile else None,
                 organisation=profile.organisation if profile else None)


def _judge(args: argparse.Namespace) -> int:
    """Record the moderator's own judgements blind, then show them beside the auditor's."""
    from qadesk.services import blind_moderation as bm
    from qadesk.services.audit_access import get_audit

    store = _store(args)
    with store.transaction() as s:
        moderator = _moderator(s)
        b = bm.record_blind(s, args.audit, moderator=moderator, own_grade=args.overall,
                            sections=dict(_pairs(args.section, "SECTION")), kind=args.kind)
        s.flush()
        rows = bm.comparison(s, b.audit_id, moderator.name)
        reference = get_audit(s, b.audit_id).reference
    if args.json:
        _print_json([{"section": r.section_id, "title": r.title, "own": r.own, "auditor": r.auditor,
                      "steps": r.steps, "differs": r.differs} for r in rows])
        return EXIT_OK
    print(f"{reference}: your judgements are recorded. Yours beside the auditor's:")
    for r in rows:
        mark = "  ≠" if r.differs else ""
        print(f"  {r.title}\tyours: {r.own or '—'}\tauditor's: {r.auditor or '—'}{mark}")
    print("Conclude with: qadesk moderation record " + reference + " (--agree | --grade GRADE --rationale TEXT)",
          file=sys.stderr)
    return EXIT_OK


def _evidence(args: argparse.Namespace) -> int:
    """The evidence as the moderator reads it; the auditor's judgements hidden while they judge blind."""
    from qadesk.services import blind_moderation as bm
    from qadesk.services.audit_access import get_audit
    from qadesk.services.moderation import own_audit_reason, pending_blind, same_person

    store = _store(args)
    with store.session() as s:
        audit = get_audit(s, args.audit)
        me = _actor(s)
        # Blind while this person may still judge it blind: not their own audit, not yet judged by them.
        blind = (bm.is_blind_for(s, audit.id) and pending_blind(s, audit.id, me) is None
                 and own_audit_reason(s, audit, me) is None
                 and not any(same_person(m.moderator_name, me) for m in audit.moderations))
        ev = bm.evidence(audit, blind=blind)
    if args.json:
        _print_json({"reference": ev.reference, "blind": ev.blind,
                      "sections": [{"id": x.id, "title": x.title, "graded": x.graded,
                                    "auditor_grade": x.auditor_grade,
                                    "items": [{"question": i.question, "answer": i.answer, "evidence": i.evidence}
                                              for i in x.items]} for x in ev.sections],
                      "summary": dict(ev.summary), "auditor_overall": ev.auditor_overall,
                      "auditor_rationale": ev.auditor_rationale})
        return EXIT_OK
    print(f"{ev.reference}" + (" (blind: the auditor's judgements are hidden until you record yours)"
                               if ev.blind else ""))
    for x in ev.sections:
        print(f"\n{x.title}" + (f" — auditor's grade: {x.auditor_grade}" if x.auditor_grade else ""))
        for i in x.items:
            print(f"  {i.question}: {i.answer}" + (f" ({i.evidence})" if i.evidence else ""))
    for heading, text in ev.summary:
        print(f"\n{heading}: {text}")
    if not ev.blind:
        print(f"\nAuditor's overall grade: {ev.auditor_overall or '—'}")
    return EXIT_OK


def _note(args: argparse.Namespace) -> int:
    from qadesk.services import blind_moderation as bm

    store = _store(args)
    with store.transaction() as s:
        n = bm.add_note(s, args.moderation, author=_actor(s), text=args.text)
        role = n.role
    print(f"Added to the moderation's dialogue as its {role}.")
    return EXIT_OK


def _blind(args: argparse.Namespace) -> int:
    from qadesk.services import blind_moderation as bm

    store = _store(args)
    if args.state is None:
        with store.session() as s:
            on = bm.blind_by_default(s)
    else:
        with store.transaction() as s:
            bm.set_blind_by_default(s, args.state == "on", actor=_actor(s))
            on = args.state == "on"
    print("Blind moderation is " + ("on: moderators record their own judgements before they see the auditor's."
                                    if on else "off: moderators see the auditor's judgements from the start."))
    return EXIT_OK


def _sample(args: argparse.Namespace) -> int:
    from qadesk.core.moderation_sampling import ModerationSampleOptions
    from qadesk.services import moderation_sampling as ms

    store = _store(args)
    with store.transaction() if (args.confirm or args.save_rules) else store.session() as s:
        rules = ms.get_rules(s)
        since, until = args.since, args.until
        if since is None and until is None:
            since, until = ms.default_period()
        options = ModerationSampleOptions(
            seed=args.seed, percent=rules.percent if args.percent is None else args.percent,
            minimum_per_quarter=rules.minimum_per_quarter if args.minimum_per_quarter is None
            else args.minimum_per_quarter,
            all_extremes=rules.all_extremes if args.extremes is None else args.extremes, since=since, until=until)
        sample = ms.draw(s, options)
        if args.save_rules:
            ms.set_rules(s, ms.ModerationRules(options.percent, options.minimum_per_quarter, options.all_extremes),
                         actor=_actor(s))
        recorded = ms.confirm(s, sample, actor=_actor(s)) if args.confirm else None
    if args.json:
        _print_json(ms.sample_dict(sample)["chosen"])
    else:
        for c in sample.chosen:
            a = c.candidate
            print(f"{a.reference}\t{a.auditor}\t{a.grade_label}\t{british_date(a.completed_on)}\t{c.reason}")
    for note in sample.notes():
        print(note, file=sys.stderr)
    if recorded is not None:
        print(f"{recorded:,} audits recorded as chosen for moderation", file=sys.stderr)
    return EXIT_OK


def _stats(args: argparse.Namespace) -> int:
    from qadesk.services import agreement

    store = _store(args)
    check_chosen(store, args)
    with store.session() as s:
        sel = selection_from(args)
        pairs = agreement.section_pairs(s, sel) if args.by == "section" else agreement.overall_pairs(s, sel)
    if args.drift:
        rows = agreement.drifts(pairs)
        if args.json:
            _print_json([{"auditor": d.auditor, "scale": d.scale.name, "n": d.drift.n, "mean": d.drift.mean,
                          "ci": [d.drift.low, d.drift.high] if d.drift.low is not None else None,
                          "higher": d.drift.higher, "lower": d.drift.lower, "direction": d.drift.direction,
                          "warning": d.drift.warning, "verdict": d.drift.verdict} for d in rows])
            return EXIT_OK
        for d in rows:
            print(f"{d.auditor}\t{d.scale.name}\t{'WARNING ' if d.drift.warning else ''}{d.drift.verdict}")
        return EXIT_OK
    groups = agreement.figures(pairs, args.by)
    if args.json:
        _print_json([g.as_dict() for g in groups])
        return EXIT_OK
    for g in groups:
        a = g.agreement
        name = "All moderated audits" if g.group is None else str(g.group)
        if not a.judgeable:
            print(f"{name}\t{g.scale.name}\t{a.verdict}")
            continue
        print(f"{name}\t{g.scale.name}\tn = {a.n}\texact {a.exact_per_cent:.0f}%\twithin one {a.within_one_per_cent:.0f}%"
              f"\tquadratic kappa {a.kappa_quadratic.text()}\tAC2 {a.ac2_quadratic.text()}")
    if not groups:
        print("No moderated audits in the selection yet.", file=sys.stderr)
    return EXIT_OK
