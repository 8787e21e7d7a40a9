"""Run the benchmarks: ``python -m tests.benchmarks.run [--audits 100000] [--cache /tmp]``.

Builds (once, then reuses from the cache folder) a store of realistic demo
data, then runs every ``tests/benchmarks/bench_*.py`` module's
``run(store_dir) -> list[Result]`` and prints one table: qadesk's figure,
the bare library's figure from the same run, the ratio and the target.
Exit code 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from tests.benchmarks import Result

HERE = Path(__file__).resolve().parent
DEFAULT_ANCHOR = date(2026, 11, 1)  # fixed, so a cached store is the same store on any day


def build_store(cache: Path, audits: int, seed: int, anchor: date) -> Path:
    """The folder of a benchmark store, generated now if the cache has no finished one."""
    from qadesk.services.demo import generate
    from qadesk.store import open_store

    folder = cache / f"qadesk-bench-{audits}-seed{seed}-{anchor.isoformat()}"
    marker = folder / "built.json"
    if marker.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)  # an unfinished build is never reused
    folder.mkdir(parents=True)
    print(f"Building a store of {audits:,} demo audits in {folder} (cached for later runs) ...", flush=True)
    t0 = time.perf_counter()
    store = open_store(folder)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] > 5 or done == total:
            last[0] = now
            print(f"  {done:,} / {total:,} audits, {now - t0:.0f} s", flush=True)

    summary = generate(store, audits=audits, seed=seed, anchor=anchor, progress=progress)
    store.close()
    seconds = time.perf_counter() - t0
    print(f"  {summary}\n  built in {seconds:.0f} s", flush=True)
    marker.write_text(json.dumps({"audits": audits, "seed": seed, "anchor": anchor.isoformat(),
                                  "seconds": round(seconds, 1), "summary": summary}, indent=2) + "\n")
    return folder


def store_facts(folder: Path) -> str:
    import sqlite3

    db = folder / "qadesk.sqlite"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 - fixed names
                  for t in ("audits", "answers", "actions", "moderations", "history")}
    finally:
        con.close()
    size = db.stat().st_size / 1e6
    built = json.loads((folder / "built.json").read_text())
    return (f"Store: {counts['audits']:,} audits, {counts['answers']:,} answers "
            f"({counts['answers'] / max(counts['audits'], 1):.1f} per audit), {counts['actions']:,} actions, "
            f"{counts['moderations']:,} moderations, {counts['history']:,} history entries; {size:,.0f} MB; "
            f"generated in {built['seconds']:.0f} s")


def modules(only: list[str]) -> list[str]:
    names = sorted(p.stem for p in HERE.glob("bench_*.py"))
    return [n for n in names if not only or any(o in n for o in only)]


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.1f} {unit}" if value < 1000 or unit != "ms" else f"{value / 1000:,.2f} s"


def table(results: list[Result], markdown: bool = False) -> str:
    head = ("what", "qadesk", "bare library", "ratio", "target", "met")
    rows = []
    for r in results:
        ratio = f"{r.ratio:.1f}×" if r.ratio is not None else "—"
        met = {True: "yes", False: "NO", None: "—"}[r.ok]
        rows.append((r.name + (f" ({r.note})" if r.note else ""), _fmt(r.value, r.unit), _fmt(r.baseline, r.unit),
                     ratio, r.target, met))
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
            for row in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__.splitlines()[0])
    p.add_argument("--audits", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--anchor", type=date.fromisoformat, default=DEFAULT_ANCHOR, help="YYYY-MM-DD")
    p.add_argument("--cache", type=Path, default=Path("/tmp"), help="where the generated store is kept")
    p.add_argument("--only", action="append", default=[], metavar="NAME", help="run the bench_*.py modules matching")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown (for docs/benchmarks.md)")
    args = p.parse_args(argv)
    folder = build_store(args.cache, args.audits, args.seed, args.anchor)
    print(store_facts(folder), flush=True)
    results: list[Result] = []
    for name in modules(args.only):
        module = importlib.import_module(f"tests.benchmarks.{name}")
        if not callable(getattr(module, "run", None)):
            print(f"Skipping {name}: it has no run(store_dir); run it on its own "
                  f"(python tests/benchmarks/{name}.py)", flush=True)
            continue
        print(f"Running {name} ...", flush=True)
        results.extend(module.run(folder))
    print()
    print(table(results, args.markdown))
    return 1 if any(r.ok is False for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
