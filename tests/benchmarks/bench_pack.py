"""A moderation pack of 100 audits (PDF + xlsx + JSON) against reportlab + openpyxl writing the same bare.

Run: ``python tests/benchmarks/bench_pack.py [--audits 100] [--runs 3]`` (or through
``python -m tests.benchmarks.run``).  qadesk's figure is the whole
``export_pack`` (reading the audits, the audit documents, report.pdf,
returns.xlsx, hashes, the zip, written atomically).  The bare figure, in the
same run, is reportlab laying out the same paragraphs on the same kind of
pages plus openpyxl (write-only) writing the same rows and ``json.dumps`` of
the same documents — the content extracted beforehand, untimed.  Target
(quality.md): at most 1.5 times the bare figure.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import Result  # noqa: E402

TARGET_RATIO = 1.5


def _choose(store: Any, n: int) -> list[str]:
    from qadesk.services.queries import Selection, audit_ids

    with store.session() as s:
        return audit_ids(s, Selection(statuses=["completed", "moderated"]))[-n:]


def _flatten(story: list[Any], out: list[tuple[Any, ...]]) -> None:
    """Our flowables as plain data: what a bare reportlab program would be given to lay out."""
    from reportlab.platypus import CondPageBreak, PageBreak, Paragraph, Table

    for f in story:
        if isinstance(f, Paragraph):
            out.append(("p", f.text, f.style))
        elif isinstance(f, Table):
            cells = [[(c.text, c.style) if isinstance(c, Paragraph) else (str(c), None) for c in row]
                     for row in f._cellvalues]
            out.append(("table", cells, f._colWidths, f._cellStyles and f._bkgrndcmds, f._linecmds))
        elif isinstance(f, PageBreak):
            out.append(("break",))
        elif isinstance(f, CondPageBreak):
            out.append(("cond", f.height))
        elif hasattr(f, "_content"):
            _flatten(f._content, out)
        else:
            out.append(("flowable", f))


def _content(store: Any, ids: list[str], tmp: Path) -> tuple[list[tuple[Any, ...]], dict[str, list[list[Any]]], list[dict]]:
    """The same paragraphs, tables, rows and documents qadesk writes, extracted untimed."""
    from openpyxl import load_workbook
    from reportlab.platypus import PageBreak

    from qadesk.exchange.audit_report import audit_story
    from qadesk.exchange.returns_xlsx import write_documents
    from qadesk.services.audits import audit_document, get_audit, template_for

    items = []
    with store.session() as s:
        for aid in ids:
            a = get_audit(s, aid)
            items.append((audit_document(a), template_for(a)))
    story: list[Any] = []
    for n, (doc, t) in enumerate(items):
        story += ([PageBreak()] if n else []) + audit_story(doc, t)
    flat: list[tuple[Any, ...]] = []
    _flatten(story, flat)
    write_documents(items, tmp / "rows.xlsx", stats=None)
    wb = load_workbook(tmp / "rows.xlsx", read_only=True)
    sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    wb.close()
    return flat, sheets, [doc for doc, _ in items]


def _bare(flat: list[tuple[Any, ...]], sheets: dict[str, list[list[Any]]], docs: list[dict]) -> None:
    from openpyxl import Workbook
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import CondPageBreak, PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    story: list[Any] = []
    for item in flat:
        if item[0] == "p":
            story.append(Paragraph(item[1], item[2]))
        elif item[0] == "table":
            t = Table([[Paragraph(text, style) if style else text for text, style in row] for row in item[1]],
                      colWidths=item[2])
            t.setStyle(TableStyle([*item[4], ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(t)
        elif item[0] == "break":
            story.append(PageBreak())
        elif item[0] == "cond":
            story.append(CondPageBreak(item[1]))
        else:
            story.append(item[1])
    SimpleDocTemplate(io.BytesIO(), pagesize=A4).build(story)
    wb = Workbook(write_only=True)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(io.BytesIO())
    for d in docs:
        json.dumps(d, ensure_ascii=False, indent=1)


def run(store_dir: Path | None = None, audits: int = 100, runs: int = 3) -> list[Result]:
    from qadesk.services.packs import Resolution, export_pack
    from qadesk.services.queries import Selection
    from qadesk.store import open_store

    tmp = Path(tempfile.mkdtemp(prefix="qadesk-bench-pack-"))
    if store_dir is None:
        from qadesk.services.demo import generate

        store_dir = tmp / "store"
        store = open_store(store_dir)
        generate(store, audits=audits * 3, seed=7)
    else:
        store = open_store(store_dir)
    try:
        ids = _choose(store, audits)
        flat, sheets, docs = _content(store, ids, tmp)
        sel = Selection(audit_ids=ids)
        out = tmp / "pack.qapack"
        jobs = {
            "ours": lambda: export_pack(store, out, kind="moderation_request", selection=sel),
            # Every suspect masked too (the demo's evidence notes quote dates): the most work there is.
            "external": lambda: export_pack(store, out, kind="moderation_request", selection=sel, external=True,
                                            resolution=Resolution(rest="mask")),
            "bare": lambda: _bare(flat, sheets, docs),
        }
        # Interleaved, so a busy moment on a shared machine hits both sides alike.
        times: dict[str, list[float]] = {k: [] for k in jobs}
        for i in range(runs + 1):
            for name, fn in jobs.items():
                t0 = time.perf_counter()
                fn()
                if i:  # the first round warms up
                    times[name].append((time.perf_counter() - t0) * 1000)
        ours, external, bare = (statistics.median(times[k]) for k in ("ours", "external", "bare"))
        n_rows = sum(len(r) for r in sheets.values())
    finally:
        store.close()
        shutil.rmtree(tmp, ignore_errors=True)
    note = f"{len(ids)} audits, {n_rows:,} rows"
    return [Result(f"moderation pack of {len(ids)} audits", ours, baseline=bare, ratio_limit=TARGET_RATIO, note=note),
            Result("the same, pseudonymised (external)", external, baseline=bare, ratio_limit=TARGET_RATIO,
                   note="with the identifier masking and every suspect masked")]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--audits", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--store", type=Path, help="an existing store folder (default: a fresh demo store)")
    args = ap.parse_args()
    for r in run(args.store, args.audits, args.runs):
        print(f"{r.name}: {r.value:,.0f} ms; bare reportlab + openpyxl + json {r.baseline:,.0f} ms; "
              f"ratio {r.ratio:.2f}x (target <= {TARGET_RATIO}x) {'OK' if r.ok else 'MISSED'}  [{r.note}]")
