"""Importing a 50,000-row case list (CSV and Excel), against reading the same file bare.

Run: ``python tests/benchmarks/bench_case_import.py`` (or through ``python -m tests.benchmarks.run``).
It writes a made-up case list of 50,000 cases and 13 columns (dates, yes/no flags, an age, a date of birth)
as CSV and as a workbook, then times, each into a fresh store: :func:`qadesk.services.cases.import_case_list`
(read, recognise, type every cell, check every row, write the cases and a history entry each, commit), and
the next month's import of the same list (every case looked up, none changed); beside, in the same run,
the bare reading of the same file: Python's csv module, and python-calamine reading the sheet's cells
(openpyxl's read-only reading of the same workbook is shown for comparison). Target: 30 s for the first
import of 50,000 cases on a laptop.
"""

from __future__ import annotations

import csv
import shutil
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import Result, median_ms  # noqa: E402

ROWS = 50_000


def _bare_csv(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as fh:
        return sum(len(row) for row in csv.reader(fh))


def _bare_calamine(path: Path) -> int:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    n = sum(len(row) for row in book.get_sheet_by_index(0).to_python())
    book.close()
    return n


def _bare_openpyxl(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    n = sum(len(row) for row in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return n


def _import_fresh(path: Path, tmp: Path, again: bool = False) -> float:
    """Milliseconds for one import of ``path`` into a new store (``again``: the second import, timed alone)."""
    from qadesk.services.cases import import_case_list
    from qadesk.store import open_store

    folder = Path(tempfile.mkdtemp(dir=tmp))
    store = open_store(folder)
    try:
        if again:
            with store.transaction() as s:
                import_case_list(s, path, actor="Benchmark")
        t0 = time.perf_counter()
        with store.transaction() as s:
            result = import_case_list(s, path, actor="Benchmark")
        elapsed = (time.perf_counter() - t0) * 1000
        assert result.cases == ROWS and (result.unchanged == ROWS if again else result.added == ROWS)
        return elapsed
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


def _sample_from_store(path: Path, tmp: Path, repeat: int = 3) -> float:
    """Milliseconds to draw a sample from the imported list: read every case from the store and draw 5% per
    team, stratified by case type (the median of ``repeat`` draws, each with its own seed)."""
    from qadesk.core.sampling import SampleOptions, draw_sample
    from qadesk.services.cases import import_case_list
    from qadesk.services.sampling import read_cases
    from qadesk.store import open_store

    folder = Path(tempfile.mkdtemp(dir=tmp))
    store = open_store(folder)
    try:
        with store.transaction() as s:
            import_case_list(s, path, actor="Benchmark")
        times = []
        for seed in range(repeat):
            t0 = time.perf_counter()
            with store.session() as s:
                cases = read_cases(s)
            sample = draw_sample(cases, SampleOptions(seed=seed, percent=5, stratify="case_type"))
            times.append((time.perf_counter() - t0) * 1000)
            assert len(cases) == ROWS and sample.chosen
        return _median(times)
    finally:
        store.close()
        shutil.rmtree(folder, ignore_errors=True)


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def run(store_dir: Path | None = None) -> list[Result]:
    from tests.helpers.case_lists import HEADER, case_rows, write_csv, write_xlsx

    rows = case_rows(ROWS, seed=11)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        csv_path = write_csv(tmp / "cases.csv", rows)
        xlsx_path = write_xlsx(tmp / "cases.xlsx", {"Open cases": [HEADER, *rows]})
        bare_csv = median_ms(lambda: _bare_csv(csv_path), repeat=5)
        bare_xlsx = median_ms(lambda: _bare_calamine(xlsx_path), repeat=3)
        openpyxl_xlsx = median_ms(lambda: _bare_openpyxl(xlsx_path), repeat=1, warmup=0)
        ours_csv = _median([_import_fresh(csv_path, tmp) for _ in range(3)])
        ours_xlsx = _median([_import_fresh(xlsx_path, tmp) for _ in range(3)])
        again_csv = _median([_import_fresh(csv_path, tmp, again=True) for _ in range(3)])
        sampling = _sample_from_store(csv_path, tmp)
        csv_kb, xlsx_kb = csv_path.stat().st_size / 1024, xlsx_path.stat().st_size / 1024
    return [
        Result("import a 50,000-row case list, CSV", ours_csv, baseline=bare_csv, limit=30_000,
               note=f"{csv_kb:,.0f} KB; bare = Python's csv module reading the file"),
        Result("import a 50,000-row case list, Excel", ours_xlsx, baseline=bare_xlsx, limit=30_000,
               note=f"{xlsx_kb:,.0f} KB; bare = python-calamine reading the sheet (openpyxl read-only: "
                    f"{openpyxl_xlsx / 1000:,.1f} s)"),
        Result("import the same CSV list again (next month, nothing changed)", again_csv, baseline=bare_csv,
               limit=30_000, note="bare = Python's csv module reading the file"),
        Result("sample 5% per team, stratified by case type, from the 50,000 imported cases", sampling,
               baseline=bare_csv, limit=5_000,
               note="every case read from the store, then drawn; bare = Python's csv module reading the file"),
    ]


if __name__ == "__main__":
    for r in run():
        ratio = f"{r.ratio:.1f}×" if r.ratio else "—"
        print(f"{r.name}: {r.value:.0f} ms (bare {r.baseline:.0f} ms, {ratio}); target {r.target}: "
              f"{'met' if r.ok else 'MISSED'} — {r.note}")
