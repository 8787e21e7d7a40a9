"""Import one hostile case the way qadesk does, into a copy of the receiving store, and measure it.

The suite (test_hostile.py) asserts on what :func:`run_case` returns; run this module to print the
memory figures of every case as the Markdown table in docs/benchmarks.md::

    python -m tests.hostile.runner [--markdown]
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.hostile.make_hostile import ALL_CASES, Base, Case, build_base, write_case

STORE_FILES = ("qadesk.sqlite", "qadesk.sqlite-wal")
PEAK_LIMIT = 64 * 1024 * 1024  # what any case may cost (Python allocations, tracemalloc), refused or not


@dataclass
class Outcome:
    case: Case
    error: BaseException | None
    peak: int  # bytes, tracemalloc's peak during the import
    changed: bool  # the store file or its WAL differs afterwards
    result: Any = None


def store_digest(folder: Path) -> dict[str, str]:
    """SHA-256 of the store file and its WAL (the files that hold the data)."""
    out = {}
    for name in STORE_FILES:
        path = folder / name
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "-"
    return out


def import_file(store: Any, case: Case, path: Path) -> Any:
    """What ``qadesk pack import`` / ``qadesk template import`` do with the file."""
    if case.kind == "pack":
        from qadesk.services.packs import import_pack

        return import_pack(store, path)
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template

    template = read_template(path)
    with store.transaction() as s:
        return import_template(s, template, actor="hostile test")[1]


def run_case(case: Case, base: Base, target: Path, work: Path) -> Outcome:
    """Copy the receiving store, import the case into it; what happened, its memory and whether the store changed."""
    from qadesk.store import open_store

    folder = work / "store"
    shutil.copytree(target, folder)
    path = write_case(case, base, work / "in")
    store = open_store(folder)
    try:
        before = store_digest(folder)
        error: BaseException | None = None
        result = None
        tracemalloc.start()
        try:
            result = import_file(store, case, path)
        except Exception as exc:  # noqa: BLE001 - the suite judges what escaped
            error = exc
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        changed = store_digest(folder) != before
    finally:
        store.close()
    return Outcome(case, error, peak, changed, result)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    with tempfile.TemporaryDirectory() as tmp:
        base, target = build_base(Path(tmp) / "base")
        rows = []
        only = [a for a in args if not a.startswith("--")]
        for i, case in enumerate(ALL_CASES):
            if only and not any(o in case.name for o in only):
                continue
            work = Path(tmp) / f"case{i}"
            out = run_case(case, base, target, work)
            shutil.rmtree(work)
            verdict = "accepted" if out.error is None else type(out.error).__name__
            rows.append((case.name, case.kind, verdict, out.peak, out.changed))
            if "--markdown" not in args:
                print(f"{case.name:40} {verdict:16} {out.peak / 2**20:7.1f} MB  changed={out.changed}  "
                      f"{str(out.error)[:150]!r}")
    if "--markdown" in args:
        print("| case | kind | outcome | peak (MB) |\n| --- | --- | --- | ---: |")
        for name, kind, verdict, peak, _ in sorted(rows, key=lambda r: -r[3]):
            print(f"| {name} | {kind} | {verdict} | {peak / 2**20:.1f} |")
    peaks = sorted(r[3] for r in rows)
    print(f"\n{len(rows)} cases; peak memory: median {peaks[len(peaks) // 2] / 2**20:.1f} MB, "
          f"largest {peaks[-1] / 2**20:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
