"""Made-up case lists as councils' systems write them: qadesk's own columns, and Annex A's lists.

Everything is invented: references CR-1xxxxx, teams and workers from small word banks, no real names.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from openpyxl.cell import WriteOnlyCell

HEADER = ("Case ref", "Case type", "Team", "Worker", "Date of birth", "Date of referral", "Date of last visit",
          "Repeat referral", "Visits overdue (Y/N)", "Plan over 18 months", "Disability", "Age", "Legal status")
TEAMS = ("Assessment 1", "Assessment 2", "Children in Care East", "Children in Care West", "Care Leavers",
         "Early Help North", "Child Protection 1")
TYPES = ("EH", "CIN", "CP", "CLA", "CL")
WORKERS = tuple(f"{initial}. Worker{n}" for initial in "ABCDEFGH" for n in range(1, 6))
TODAY = date(2026, 12, 1)


def case_rows(n: int, seed: int = 7, start: int = 100_000) -> list[list[object]]:
    """``n`` good rows of HEADER, dates as British text."""
    rnd = random.Random(seed)
    rows: list[list[object]] = []
    for i in range(n):
        kind = rnd.choice(TYPES)
        born = TODAY - timedelta(days=rnd.randint(30, 17 * 365))
        referral = TODAY - timedelta(days=rnd.randint(10, 900))
        visit = TODAY - timedelta(days=rnd.randint(0, 60))
        rows.append([f"CR-{start + i}", kind, rnd.choice(TEAMS), rnd.choice(WORKERS) if rnd.random() > 0.05 else "",
                     f"{born:%d/%m/%Y}", f"{referral:%d/%m/%Y}", f"{visit:%d/%m/%Y}",
                     rnd.choice(("Yes", "No")), rnd.choice(("Y", "N")), rnd.choice(("yes", "no")),
                     rnd.choice(("Yes", "No", "Unknown")), str((TODAY - born).days // 365),
                     rnd.choice(("C2", "V2", "")) if kind == "CLA" else ""])
    return rows


# Ten (and more) kinds of bad row: (what is wrong, how a good row is spoilt, words the reason must carry).
def _blank(col: int) -> object:
    def spoil(row: list[object]) -> None:
        row[col] = ""
    return spoil


def _set(col: int, value: object) -> object:
    def spoil(row: list[object]) -> None:
        row[col] = value
    return spoil


BAD_KINDS: tuple[tuple[str, object, str], ...] = (
    ("no reference", _blank(0), "no case reference"),
    ("unknown case type", _set(1, "Adoption"), "'Adoption' is not a case type"),
    ("no case type", _blank(1), "no case type"),
    ("a date that is not a date", _set(5, "31/02/2026"), "Date of referral: '31/02/2026' is not a date"),
    ("words for a date", _set(6, "last week"), "Date of last visit: 'last week' is not a date"),
    ("no team", _blank(2), "no team"),
    ("a date of birth after today", _set(4, "01/01/2030"), "date of birth 01/01/2030 is after today"),
    ("a flag that is not yes or no", _set(8, "maybe"), "Visits overdue (Y/N): 'maybe' is not yes or no"),
    ("an Excel error", _set(7, "#N/A"), "holds the Excel error #N/A"),
    ("a formula for a reference", _set(0, "=HYPERLINK(\"x\")"), "starts like a spreadsheet formula"),
    ("an age that is not a whole number", _set(11, "twelve"), "Age: 'twelve' is not a number"),
)


def spoilt_list(n: int, seed: int = 7) -> tuple[list[list[object]], dict[int, tuple[str, str]]]:
    """``n`` rows with one of each BAD_KINDS at a known row, and a duplicate reference; and the spreadsheet
    row numbers of the bad rows -> (kind, words its reason carries)."""
    rows = case_rows(n, seed)
    rnd = random.Random(seed + 1)
    places = sorted(rnd.sample(range(1, n), len(BAD_KINDS) + 1))
    bad: dict[int, tuple[str, str]] = {}
    for (kind, spoil, words), index in zip(BAD_KINDS, places, strict=False):
        spoil(rows[index])  # type: ignore[operator]
        bad[index + 2] = (kind, words)  # the header is row 1
    dup = places[-1]
    rows[dup][0] = rows[0][0]
    bad[dup + 2] = ("a duplicate reference", f"case reference '{rows[0][0]}' is on row 2 too")
    return rows, bad


def write_csv(path: Path, rows: Sequence[Sequence[object]], header: Sequence[object] = HEADER,
              encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    """A workbook with one sheet per item (rows include their header), written as Excel writes cells."""
    wb = openpyxl.Workbook(write_only=True)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append([_cell(ws, v) for v in r])
    wb.save(path)
    return path


def _cell(ws: object, value: object) -> object:
    if value == "":
        return None
    if isinstance(value, str) and value.startswith("="):  # text that looks like a formula, typed as text
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


# ---- Annex A ------------------------------------------------------------------------------------

COMMON = ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
          "Does the Child have a Disability")
ANNEX_LISTS: dict[str, tuple[str, ...]] = {
    "List 6": (*COMMON, "CIN Start Date", "Primary Need Code", "Date Child Was Last Seen", "CIN Closure Date",
               "Reason for Closure", "Case Status", "Allocated Team", "Allocated Worker"),
    "List 7": (*COMMON, "Child Protection Plan Start Date", "Initial Category of Abuse", "Latest Category of Abuse",
               "Date of the Last Statutory Visit", "Was the Child Seen Alone?", "Date of latest review conference",
               "Child Protection Plan End Date", "Number of Previous Child Protection Plans", "Allocated Team",
               "Allocated Worker"),
    "List 8": (*COMMON, "Date Started to be Looked After", "Child's Legal Status", "Placement postcode",
               "Date of Latest Statutory Review", "Date of Last Social Work Visit",
               "Number of Placements in the Last 12 months", "Allocated Team", "Allocated Worker"),
    "List 9": ("Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)",
               "Does the Child have a Disability", "Allocated Team", "Allocated Worker", "Allocated Personal Advisor",
               "Eligibility Category", "Latest Pathway Plan Review Date", "LA in Touch", "Latest Date of Contact"),
}


def annex_a_rows(sheet: str, ids: Sequence[str], seed: int = 3) -> list[list[object]]:
    """Rows of an Annex A list (dates as Excel date cells), for the given child ids."""
    rnd = random.Random(seed)
    header = ANNEX_LISTS[sheet]
    out: list[list[object]] = []
    for child in ids:
        row: list[object] = []
        for h in header:
            key = h.lower()
            if h == "Child Unique ID":
                row.append(child)
            elif key == "gender":
                row.append(rnd.choice(("a) Male", "b) Female")))
            elif key == "ethnicity":
                row.append("WBRI")
            elif key == "date of birth":
                row.append(TODAY - timedelta(days=rnd.randint(400, 17 * 365)))
            elif key.startswith("age of child"):
                row.append(rnd.randint(1, 17))
            elif key.startswith(("does the child", "was the child")):
                row.append(rnd.choice(("a) Yes", "b) No", "c) Unknown")))
            elif key == "case status":
                row.append(rnd.choice(("c) Child in need plan", "d) Open assessment", "b) Child Protection plan")))
            elif "date" in key:
                row.append(TODAY - timedelta(days=rnd.randint(1, 400)) if "end" not in key and "closure" not in key
                           else None)
            elif key.startswith("number"):
                row.append(rnd.randint(0, 3))
            elif key == "allocated team":
                row.append({"List 6": "Assessment 1", "List 7": "Child Protection 1",
                            "List 8": "Children in Care East", "List 9": "Care Leavers"}[sheet])
            elif key.startswith("allocated"):
                row.append(rnd.choice(WORKERS))
            elif key == "child's legal status":
                row.append(rnd.choice(("C2: FCO", "V2: Single period under S20")))
            elif key == "placement postcode":
                row.append("ZZ99 9ZZ")
            elif key == "la in touch":
                row.append("a) Yes")
            else:
                row.append(rnd.choice(("N1 - Abuse or neglect", "a) Neglect", "b) Former relevant child")))
        out.append(row)
    return out
