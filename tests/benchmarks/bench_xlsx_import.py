"""Importing a 1,000-question Excel template, against bare openpyxl reading the same cells.

Run: ``python tests/benchmarks/bench_xlsx_import.py`` (or through ``python -m tests.benchmarks.run``).
It builds a made-up template of 50 sections of 20 questions (every question type, logic, guidance),
writes it as a workbook, then times :func:`read_template_xlsx` (safe zip checks, defused XML, located
validation) and, in the same run, openpyxl in read-only mode reading every cell of the same sheets.
The target (quality.md) is 2 s.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import Result, median_ms  # noqa: E402

TYPES = ["text", "long_text", "integer", "decimal", "date", "range", "choice", "multi_choice", "grade", "note"]


def big_template(sections: int = 50, per_section: int = 20) -> Any:
    from qadesk.core.template import template_from_dict

    lists = {"ofsted4": [{"value": v, "label": v.title(), "score": s}
                         for v, s in (("outstanding", 4), ("good", 3), ("ri", 2), ("inadequate", 1))],
             "yes_no": [{"value": "yes", "label": "Yes", "score": 1}, {"value": "no", "label": "No", "score": 0}]}
    out = []
    for si in range(sections):
        qs: list[dict[str, Any]] = []
        for qi in range(per_section):
            qtype = TYPES[qi % len(TYPES)]
            q: dict[str, Any] = {"id": f"s{si}_q{qi}", "type": qtype,
                                 "label": f"Question {qi + 1} of section {si + 1}: is the practice good enough?",
                                 "guidance": "What good looks like: the record shows it, dated and specific. " * 3}
            if qtype in ("choice", "multi_choice"):
                q["list"] = "yes_no"
            elif qtype == "grade":
                q["list"] = "ofsted4"
            elif qtype == "range":
                q["min"], q["max"] = 0, 10
            if qtype != "note":
                q["required"] = True
                if qs and qs[0]["type"] != "note":
                    q["relevant"] = f"${{{qs[0]['id']}}} != ''"
            qs.append(q)
        out.append({"id": f"s{si}", "title": f"Section {si + 1}", "grade": {"list": "ofsted4"}, "questions": qs})
    return template_from_dict({"format": "qadesk-template/1", "id": "big-template", "version": 1,
                               "title": "A thousand questions", "kind": "regular", "lists": lists,
                               "overall": {"list": "ofsted4", "suggest": "lowest_section"}, "sections": out})


def _bare(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    n = 0
    for name in ("survey", "choices", "settings"):
        for row in wb[name].iter_rows(values_only=True):
            n += len(row)
    wb.close()
    return n


def run(store_dir: Path | None = None) -> list[Result]:
    from qadesk.exchange.template_xlsx import read_template_xlsx, write_template_xlsx

    t = big_template()
    assert sum(1 for _ in t.questions()) == 1000
    with tempfile.TemporaryDirectory() as tmp:
        path = write_template_xlsx(t, Path(tmp) / "big.xlsx")
        assert read_template_xlsx(path) == t
        ours = median_ms(lambda: read_template_xlsx(path), repeat=5)
        bare = median_ms(lambda: _bare(path), repeat=5)
        size = path.stat().st_size
        # The same workbook with a style on the survey sheet's last cell (dimension A1:Z1048576), as real
        # workbooks often have: it must cost what its content costs, not a million empty rows.
        import openpyxl

        wb = openpyxl.load_workbook(path)
        wb["survey"].cell(row=1_048_576, column=26).number_format = "@"
        far = Path(tmp) / "formatted-to-the-last-row.xlsx"
        wb.save(far)
        assert read_template_xlsx(far) == t
        formatted = median_ms(lambda: read_template_xlsx(far), repeat=5)
    return [Result("import a 1,000-question Excel template", ours, baseline=bare, limit=2000,
                   note=f"{size / 1024:.0f} KB workbook; bare = openpyxl read-only reading the same cells"),
            Result("the same, its survey sheet formatted to row 1,048,576", formatted, baseline=ours, limit=2000,
                   note="baseline = the same template without the far formatting")]


if __name__ == "__main__":
    for r in run():
        ratio = f"{r.ratio:.1f}×" if r.ratio else "—"
        print(f"{r.name}: {r.value:.0f} ms (bare {r.baseline:.0f} ms, {ratio}); target {r.target}: "
              f"{'met' if r.ok else 'MISSED'} — {r.note}")
