"""``qadesk calibration ...``: calibration exercises, from the audit to the panel's agreed grade (docs/calibration.md).

The same services as the window's Calibration dialog (:mod:`qadesk.services.calibration`,
:mod:`qadesk.services.calibration_packs`). Ratings are recorded by the profile's person, as
``qadesk moderation record`` records moderations.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qadesk.cli_support import EXIT_OK, UsageError, _actor, _pairs, _print_json, _store


def cmd_calibration(args: argparse.Namespace) -> int:
    return {"create": _create, "list": _list, "show": _show, "rate": _rate, "pack": _pack, "import": _import,
            "result": _result, "agree": _agree}[args.action](args)


def _sections(args: argparse.Namespace) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in _pairs(args.section, "SECTION"):
        if key in out:
            raise UsageError(f"--section {key} is given twice")
        out[key] = value.strip()
    return out


def _create(args: argparse.Namespace) -> int:
    from qadesk.services import calibration as cal

    with _store(args).transaction() as s:
        ex = cal.create_exercise(s, args.audit, actor=_actor(s))
        ref, ex_id, n = ex.reference, ex.id, len(cal.graded_sections(cal.template_of_exercise(ex)))
    print(ex_id)
    print(f"{ref}: calibration exercise made from {args.audit}, an anonymised copy with {n} graded sections and "
          "the overall judgement to grade", file=sys.stderr)
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    from qadesk.services import calibration as cal

    with _store(args).session() as s:
        rows = cal.list_exercises(s)
    if args.json:
        _print_json([r.as_dict() for r in rows])
        return EXIT_OK
    for r in rows:
        where = f"copy from {r.origin}" if r.copy else "made here"
        print(f"{r.reference}\t{r.id}\t{r.status}\t{r.template}\t{len(r.raters)} ratings\t{where}")
    if not rows:
        print("No calibration exercises yet.", file=sys.stderr)
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from qadesk.services import calibration as cal

    with _store(args).session() as s:
        d = cal.exercise_dict(s, args.id)
    if args.json:
        _print_json(d)
        return EXIT_OK
    print(f"{d['reference']} ({d['id']}): {d['title']} ({d['template']}), {d['status']}"
          + (f", a copy from {d['origin']}" if d["copy"] else ""))
    print(f"Rated by: {', '.join(d['raters']) or 'nobody yet'}")
    graded = ", ".join(f"{x['id']} ({x['title']})" for x in d["sections"])
    print(f"To grade: {graded}, and the overall judgement" if graded else "To grade: the overall judgement")
    print("Overall scale: " + ", ".join(f"{c['value']} ({c['label']})" for c in d["overall_scale"]))
    for qid, entry in d["document"]["answers"].items():
        value = entry.get("value")
        text = ", ".join(map(str, value)) if isinstance(value, list) else value
        print(f"  {qid}: {text}" + (f"  [evidence: {entry['evidence']}]" if entry.get("evidence") else ""))
    for key, text in (d["document"].get("summary") or {}).items():
        if text:
            print(f"  summary.{key}: {text}")
    return EXIT_OK


def _rate(args: argparse.Namespace) -> int:
    from qadesk.services import calibration as cal
    from qadesk.services.audit_access import Actor
    from qadesk.services.profile import get_profile

    sections = _sections(args)
    with _store(args).transaction() as s:
        p = get_profile(s)
        rater = Actor(_actor(s), p.role if p else None, p.organisation if p else None)
        r = cal.rate(s, args.id, rater=rater, overall=args.overall, sections=sections)
        ref = cal.find_exercise(s, args.id).reference
    print(f"{ref}: rating recorded by {r.rater_name} (overall {r.overall}, {len(sections)} sections).")
    return EXIT_OK


def _pack(args: argparse.Namespace) -> int:
    from qadesk.services.calibration_packs import export_calibration_pack

    done = export_calibration_pack(_store(args), args.id, args.to, judgements=True if args.judgements else None)
    print(done)
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    from qadesk.services.calibration_packs import import_calibration_pack

    print(import_calibration_pack(_store(args), args.file))
    return EXIT_OK


def _estimate_text(e: Any) -> str:
    return f"{e.value:.2f}" if e.value is not None else f"not available: {e.reason}"


def _result(args: argparse.Namespace) -> int:
    from qadesk.services import calibration as cal

    with _store(args).session() as s:
        r = cal.result(s, args.id)
    if args.json:
        _print_json(r.as_dict())
        return EXIT_OK
    n = len(r.raters)
    print(f"{r.reference}: {n} rater{'' if n == 1 else 's'} ({', '.join(r.raters) or 'none yet'}), {r.status}")
    for item in r.items:
        counts = ", ".join(f"{label} {n}" for label, n in zip(item.scale.labels, item.spread.counts, strict=True) if n)
        extra = []
        if item.agreed is not None:
            extra.append(f"agreed {item.label(item.agreed)}")
        if item.original is not None:
            extra.append(f"auditor {item.label(item.original)}")
        print(f"  {item.title}: {counts or 'no grades'}" + (f"  ({'; '.join(extra)})" if extra else ""))
    a = r.agreement
    print(f"Across raters ({a.verdict}): Krippendorff's alpha (ordinal) {_estimate_text(a.alpha_ordinal)}; "
          f"Fleiss' kappa {_estimate_text(a.fleiss_kappa)}")
    if r.left_out:
        print(f"  not counted in the coefficients (another scale): {', '.join(r.left_out)}")
    for x in r.against:
        mean = f"{x.mean_difference:+.2f}" if x.mean_difference is not None else "—"
        print(f"  {r.raters[x.rater]} against the agreed grades: {x.exact} of {x.n} the same, {x.within_one} within "
              f"one grade, mean difference {mean}")
    if r.notes:
        print(f"Panel notes ({r.agreed_by}): {r.notes}")
    return EXIT_OK


def _agree(args: argparse.Namespace) -> int:
    from qadesk.services import calibration as cal

    sections = _sections(args)
    with _store(args).transaction() as s:
        ex = cal.agree(s, args.id, actor=_actor(s), overall=args.overall, sections=sections, notes=args.notes)
        ref = ex.reference
    print(f"{ref}: agreed grades and the panel's notes recorded; the exercise is closed.")
    return EXIT_OK
