"""``qadesk moderation sample`` and ``stats``: choosing what to moderate, and how far moderation agrees.

The same services as the Moderation screen's "Choose what to moderate" (:mod:`qadesk.services.moderation_sampling`).
The chosen audits go to stdout, one line each (``--json``: an array of objects with ``id``, ``reference``,
``auditor``, ``grade``, ``completed_on``, ``step`` and ``reason``); the counts and notes to stderr.
"""

from __future__ import annotations

import argparse
import sys

from qadesk.cli_support import EXIT_OK, _actor, _print_json, _store, check_chosen, selection_from
from qadesk.core.dates import british_date

ACTIONS = ("sample", "stats")


def cmd_moderation(args: argparse.Namespace) -> int:
    return _sample(args) if args.action == "sample" else _stats(args)


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
        pairs = agreement.overall_pairs(s, selection_from(args))
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
