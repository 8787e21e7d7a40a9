"""``qadesk case ...`` and ``qadesk indicators ...``: the council's case list and performance data in.

The same services as the window's Case lists screen. A refused file prints one line per bad row on
stderr, ``row N: reason`` (N as the spreadsheet shows it, the header being row 1), exits 1 and stores
nothing.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from qadesk.cli_support import EXIT_OK, EXIT_REFUSED, _actor, _print_json, _store


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _print_refused(reading: Any, file: str) -> int:
    for line in reading.refusals:
        print(f"qadesk: {file}: {line}", file=sys.stderr)
    for p in reading.problems:
        print(str(p), file=sys.stderr)
    if reading.more_problems:
        print(f"... and {reading.more_problems:,} more rows that cannot be imported", file=sys.stderr)
    rows = len(reading.problems) + reading.more_problems
    why = f"{rows:,} row{'s' if rows != 1 else ''} cannot be imported" if rows else "it cannot be imported"
    if not rows and not reading.refusals:
        why = "it holds no rows under its header"
    print(f"qadesk: {file} refused: {why}; nothing was stored.", file=sys.stderr)
    return EXIT_REFUSED


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)


def cmd_case(args: argparse.Namespace) -> int:
    from qadesk.services import cases as svc

    store = _store(args)
    if args.action == "import":
        if args.check:
            with store.session() as s:
                reading = svc.read_file(s, args.file, args.mapping)
            _warn(reading.warnings)
            if not reading.ok:
                return _print_refused(reading, args.file)
            print(f"{args.file}: {len(reading.cases):,} cases can be imported "
                  f"({', '.join(s.layout.title for s in reading.sheets if s.used and s.layout)}); nothing was stored.")
            return EXIT_OK
        try:
            with store.transaction() as s:
                result = svc.import_case_list(s, args.file, actor=_actor(s), mapping=args.mapping)
        except svc.CaseListRefused as exc:
            _warn(exc.reading.warnings)
            return _print_refused(exc.reading, args.file)
        _warn(result.warnings)
        print(f"Imported {result.file_name}: {result.added:,} added, {result.updated:,} updated, "
              f"{result.unchanged:,} unchanged, {result.delisted:,} no longer on the list.")
        return EXIT_OK
    if args.action == "list":
        with store.session() as s:
            rows = svc.list_cases(s, args.team, include_unlisted=args.all)
        if args.json:
            _print_json([{"case_ref": c.case_ref, "case_type": c.case_type, "team": c.team, "worker": c.worker,
                          "fields": {k: _plain(v) for k, v in c.fields.items()}} for c in rows])
            return EXIT_OK
        for c in rows:
            print(f"{c.case_ref}\t{c.case_type or '-'}\t{c.team or '-'}\t{c.worker or 'unallocated'}")
        if not rows:
            print("No cases: import a case list with 'qadesk case import FILE'.", file=sys.stderr)
        return EXIT_OK
    with store.session() as s:  # mappings
        mappings = svc.list_mappings(s)
    if args.json:
        _print_json([{"name": m.name, "columns": m.mapping.columns, "case_type": m.mapping.case_type,
                      "headers": m.headers, "updated_at": m.updated_at.isoformat()} for m in mappings])
        return EXIT_OK
    for m in mappings:
        roles = ", ".join(f"{k}={r}" for k, r in m.mapping.columns.items() if r not in ("field",))
        print(f"{m.name}\t{roles}" + (f"\tcase type {m.mapping.case_type}" if m.mapping.case_type else ""))
    if not mappings:
        print("No mappings are saved: choose a list's columns once in the window's Case lists screen.",
              file=sys.stderr)
    return EXIT_OK


def cmd_indicators(args: argparse.Namespace) -> int:
    from qadesk.services import indicators as svc

    store = _store(args)
    if args.action == "import":
        try:
            with store.transaction() as s:
                result = svc.import_indicators(s, args.file, actor=_actor(s))
        except svc.IndicatorsRefused as exc:
            return _print_refused(exc.reading, args.file)
        first, last = result.periods[0], result.periods[-1]
        months = f"{first:%b %Y}" if first == last else f"{first:%b %Y} to {last:%b %Y}"
        what = "indicator" if result.indicators == 1 else "indicators"
        print(f"Imported {result.file_name}: {result.indicators:,} {what} ({months}), "
              f"{result.added:,} figures added, {result.updated:,} updated, {result.unchanged:,} unchanged.")
        return EXIT_OK
    with store.session() as s:
        rows = svc.figures(s, indicator=args.indicator, team=args.team)
    if args.json:
        _print_json([{"indicator": f.indicator, "team": f.team or None, "period": f.period.strftime("%Y-%m"),
                      "value": f.value, "target": f.target, "unit": f.unit} for f in rows])
        return EXIT_OK
    for f in rows:
        target = f"\ttarget {f.target:g}" if f.target is not None else ""
        print(f"{f.indicator}\t{f.team or 'whole service'}\t{f.period:%b %Y}\t{f.value:g}{f.unit or ''}{target}")
    if not rows:
        print("No figures: import performance data with 'qadesk indicators import FILE'.", file=sys.stderr)
    return EXIT_OK
