"""Audit templates as Excel workbooks (contracts section 2), and XLSForm workbooks from ODK/KoboToolbox.

Reading builds a plain ``qadesk-template/1`` dict from the ``settings``,
``survey`` and ``choices`` sheets and validates it through
:func:`qadesk.core.template.template_from_dict`; every problem is reported at
its sheet, row and column (``survey!C14 (label)``).  A workbook that looks
like a standard XLSForm is handed to :mod:`qadesk.exchange.xlsform`.

Conventions beyond the contract (written up in docs/template-authoring-excel.md):
- A choice list whose name starts with ``_`` belongs to one question only
  (the JSON form's inline ``choices``); the writer names it ``_<question>``.
- Headers beginning with ``#`` are notes for people and are ignored.
- Line breaks are stored as ``\\n`` (Excel cannot keep ``\\r``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qadesk.core.errors import Problem, ValidationError
from qadesk.core.template import FORMAT, NAME_RE, Template, template_from_dict
from qadesk.exchange.template_xlsx_write import write_template_xlsx
from qadesk.exchange.xlsx_io import Sheet, read_workbook
from qadesk.exchange.xlsx_layout import Locator, Table, number_of, read_header, reading_order, text_of

__all__ = ["read_template_xlsx", "read_template_xlsx_report", "write_template_xlsx", "looks_like_xlsform",
           "SURVEY_COLUMNS", "SETTINGS_COLUMNS", "CHOICES_COLUMNS", "SIMPLE_TYPES"]

SURVEY_COLUMNS = ("type", "name", "label", "guidance", "required", "relevant", "constraint",
                  "constraint_message", "min", "max", "weight", "evidence", "agency", "grade_list",
                  "urgent_concern", "subject_field", "learning")
SETTINGS_COLUMNS = ("form_id", "version", "title", "kind", "theme", "publisher", "description",
                    "overall_list", "overall_suggest", "overall_thresholds")
CHOICES_COLUMNS = ("list_name", "name", "label", "score")
SIMPLE_TYPES = ("text", "long_text", "integer", "decimal", "date", "range", "note")
LIST_TYPES = {"select_one": "choice", "select_multiple": "multi_choice", "grade": "grade"}
_YES = {"yes", "true", "y", "1"}
_NO = {"no", "false", "n", "0"}


def read_template_xlsx(path: Path | str, lenient: bool = False, language: str | None = None,
                       xlsform: bool | None = None) -> Template:
    """Load and validate a template workbook (qadesk's layout or an XLSForm).

    Raises :class:`ValidationError` whose problems each name a sheet, row and
    column.  ``lenient``/``language``/``xlsform`` apply to XLSForm workbooks
    (see :func:`read_template_xlsx_report`).
    """
    return read_template_xlsx_report(path, lenient=lenient, language=language, xlsform=xlsform)[0]


def read_template_xlsx_report(path: Path | str, lenient: bool = False, language: str | None = None,
                              xlsform: bool | None = None) -> tuple[Template, list[str]]:
    """``(template, warnings)`` from a workbook.

    ``xlsform`` None detects the layout; True forces the XLSForm reader.
    ``lenient`` skips what qadesk cannot represent (each skip is a warning)
    instead of refusing; ``language`` picks a label language of a
    multi-language XLSForm.
    """
    label = str(path)
    sheets = read_workbook(path, wanted=("survey", "choices", "settings"))
    if xlsform or (xlsform is None and looks_like_xlsform(sheets)):
        from qadesk.exchange.xlsform import build_xlsform

        data, locator, problems, warnings = build_xlsform(sheets, lenient=lenient, language=language)
    else:
        data, locator, problems = build_dict(sheets)
        warnings = []
    return validate_located(data, locator, problems, label), warnings


def validate_located(data: dict[str, Any], locator: Locator, problems: list[Problem], label: str) -> Template:
    """Validate the built dict; raise every sheet-level and located core problem together."""
    try:
        template = template_from_dict(data, source=label)
    except ValidationError as exc:
        located = [locator.locate(p) for p in exc.problems if "is already used by" not in p.message]
        raise ValidationError(_dedupe(problems + located), label) from None
    if problems:
        raise ValidationError(_dedupe(problems), label)
    return template


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        if (p.where, p.message) not in seen:
            seen.add((p.where, p.message))
            out.append(p)
    return sorted(out, key=reading_order)


def looks_like_xlsform(sheets: dict[str, Sheet]) -> bool:
    """True when the workbook is written the ODK/KoboToolbox way rather than qadesk's own."""
    survey = sheets.get("survey")
    if survey is None or not survey.rows:
        return False
    header = {" ".join(str(h).split()).lower() for h in survey.rows[0][1] if h is not None}
    if any(h.startswith(("label:", "hint", "label::", "required_message", "appearance")) for h in header):
        return True
    settings = sheets.get("settings")
    if settings and settings.rows:
        sh = {" ".join(str(h).split()).lower() for h in settings.rows[0][1] if h is not None}
        if "form_title" in sh or "default_language" in sh:
            return True
    types = {" ".join(str(v[0]).split()).lower() for _, v in survey.rows[1:] if v and isinstance(v[0], str)}
    if "type" in header:
        idx = [" ".join(str(h).split()).lower() if h is not None else "" for h in survey.rows[0][1]].index("type")
        types = {" ".join(str(v[idx]).split()).lower() for _, v in survey.rows[1:]
                 if len(v) > idx and isinstance(v[idx], str)}
    if types & {"begin group", "begin_group", "begin repeat", "begin_repeat"}:
        return True
    return not (types & {"begin section", "begin_section"}) and bool(types)


# ------------------------------------------------------------------------------------------ reading


def build_dict(sheets: dict[str, Sheet]) -> tuple[dict[str, Any], Locator, list[Problem]]:
    """The template dict of a workbook in qadesk's layout, where each part came from, and sheet problems."""
    problems: list[Problem] = []
    loc = Locator()
    data: dict[str, Any] = {"format": FORMAT}
    for needed in ("settings", "survey"):
        if needed not in sheets:
            problems.append(Problem(needed, f"the workbook has no '{needed}' sheet"))
    if "settings" in sheets:
        _read_settings(sheets["settings"], data, loc, problems)
    data["lists"], inline = _read_choices(sheets.get("choices"), loc, problems)
    if "survey" in sheets:
        data["sections"] = _read_survey(sheets["survey"], inline, loc, problems)
    for name, item in inline.items():
        if not item.users and loc.choices is not None:
            problems.append(Problem(loc.choices.where(item.rows[0], "list_name"),
                                    f"the list '{name}' (its name starts with _) belongs to one question, "
                                    f"but no question uses it"))
    return data, loc, problems


def _known(columns: tuple[str, ...], **aliases: str) -> dict[str, str]:
    known = {c: c for c in columns}
    known.update({k.replace("_", " "): v for k, v in known.items()})
    known.update(aliases)
    return known


def _read_settings(sheet: Sheet, data: dict[str, Any], loc: Locator, problems: list[Problem]) -> None:
    table, rows = read_header(sheet, _known(SETTINGS_COLUMNS, id="form_id"), problems)
    loc.settings = table
    if not rows:
        problems.append(Problem(table.where(None, None), "the settings sheet needs a header row and one row of values"))
        return
    row, values = rows[0]
    for extra_row, _ in rows[1:]:
        problems.append(Problem(f"{table.sheet} row {extra_row}", "the settings sheet has one row of values only"))
    loc.settings_row = row
    get = table.get
    data["id"] = _ident(get(values, "form_id"))
    version = number_of(get(values, "version"))
    data["version"] = version
    for key in ("title", "kind", "theme", "publisher", "description"):
        data[key] = text_of(get(values, key))
    if isinstance(data["kind"], str):
        data["kind"] = data["kind"].strip().lower().replace(" ", "_").replace("-", "_")
    overall: dict[str, Any] = {"list": _ident(get(values, "overall_list"))}
    suggest = text_of(get(values, "overall_suggest"))
    if suggest is not None:
        overall["suggest"] = suggest.strip().lower()
    raw = text_of(get(values, "overall_thresholds"))
    if raw is not None:
        thresholds = []
        for part in raw.split(","):
            value, sep, minimum = part.strip().rpartition(":")
            num = number_of(minimum.strip())
            if not sep or not value.strip() or not isinstance(num, int | float):
                problems.append(Problem(table.where(row, "overall_thresholds"),
                                        f"'{part.strip()[:40]}' is not value:min (write e.g. 'good:2.5')"))
                continue
            thresholds.append({"min": num, "value": value.strip()})
        overall["thresholds"] = thresholds
    data["overall"] = overall


def _ident(value: Any) -> Any:
    text = text_of(value)
    return text.strip() if isinstance(text, str) else text


class _Inline:
    """A list named ``_x``: one question's own choices."""

    def __init__(self, rows: list[int], items: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.items = items
        self.users: list[str] = []


def _read_choices(sheet: Sheet | None, loc: Locator, problems: list[Problem]
                  ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, _Inline]]:
    lists: dict[str, list[dict[str, Any]]] = {}
    inline: dict[str, _Inline] = {}
    if sheet is None:
        return lists, inline
    table, rows = read_header(sheet, _known(CHOICES_COLUMNS, value="name"), problems)
    loc.choices = table
    pools: dict[str, list[dict[str, Any]]] = {}
    for row, values in rows:
        lname = _ident(table.get(values, "list_name"))
        if lname is None:
            problems.append(Problem(table.where(row, "list_name"), "this choice has no list name"))
            continue
        choice: dict[str, Any] = {"value": _ident(table.get(values, "name")),
                                  "label": text_of(table.get(values, "label"))}
        score = number_of(table.get(values, "score"))
        if score is not None:
            choice["score"] = score
        pools.setdefault(lname, []).append(choice)
        loc.lists.setdefault(lname, []).append(row)
    for lname, items in pools.items():
        if lname.startswith("_"):
            inline[lname] = _Inline(loc.lists.pop(lname), items)
        else:
            lists[lname] = items
    return lists, inline


def _read_survey(sheet: Sheet, inline: dict[str, _Inline], loc: Locator,
                 problems: list[Problem]) -> list[dict[str, Any]]:
    table, rows = read_header(sheet, _known(SURVEY_COLUMNS), problems)
    loc.survey = table
    for needed in ("type", "name", "label"):
        if needed not in table.columns:
            problems.append(Problem(table.where(table.header_row, None), f"the survey sheet has no '{needed}' column"))
    if "type" not in table.columns:
        return []
    sections: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    names: dict[str, int] = {}
    for row, values in rows:
        raw_type = text_of(table.get(values, "type"))
        name = _ident(table.get(values, "name"))
        is_end = raw_type is not None and raw_type.strip().lower().replace("_", " ").split() == ["end", "section"]
        if isinstance(name, str) and name and not is_end:
            if name in names:
                problems.append(Problem(table.where(row, "name"),
                                        f"the name '{name}' is already used on row {names[name]}"))
            else:
                names[name] = row
        if raw_type is None:
            problems.append(Problem(table.where(row, "type"), "the type is empty (e.g. text, select_one yes_no, "
                                                              "begin section)"))
            continue
        words = raw_type.strip().lower().replace("_section", " section").split()
        if words in (["begin", "section"], ["end", "section"]):
            if words[0] == "begin":
                if current is not None:
                    problems.append(Problem(table.where(row, "type"), "sections do not nest: add an 'end section' "
                                                                      f"row for the section begun on row "
                                                                      f"{loc.sections[current['id']]}"))
                current = _begin_section(table, row, values, sections, loc)
            elif current is None:
                problems.append(Problem(table.where(row, "type"), "'end section' without a 'begin section' above it"))
            else:
                current = None
            continue
        if current is None:
            problems.append(Problem(table.where(row, "type"), "this question is outside any section: add a "
                                                              "'begin section' row above it"))
            continue
        question = _question(table, row, values, words, raw_type, inline, problems)
        if question is not None:
            qref = len(current["questions"]) + 1
            current["questions"].append(question)
            sref = str(current["id"]) if _valid_name(current["id"]) else f"#{len(sections)}"
            loc.positions[(sref, qref)] = row
            if isinstance(question.get("id"), str):
                loc.questions.setdefault(question["id"], row)
    for lname, item in inline.items():
        if len(item.users) > 1:
            problems.append(Problem(loc.choices.where(item.rows[0], "list_name") if loc.choices else "choices",
                                    f"the list '{lname}' starts with _, so it belongs to one question; it is used "
                                    f"by {', '.join(item.users)}"))
        for qid in item.users[:1]:
            loc.inline[qid] = item.rows
    return sections


def _valid_name(value: object) -> bool:
    return isinstance(value, str) and bool(NAME_RE.match(value)) and len(value) <= 64


def _begin_section(table: Table, row: int, values: tuple[Any, ...], sections: list[dict[str, Any]],
                   loc: Locator) -> dict[str, Any]:
    get = table.get
    section: dict[str, Any] = {"id": _ident(get(values, "name")), "title": text_of(get(values, "label"))}
    for key in ("guidance", "agency", "relevant"):
        value = text_of(get(values, key))
        if value is not None:
            section[key] = value
    grade = _ident(get(values, "grade_list"))
    if grade is not None:
        section["grade"] = {"list": grade}
    section["questions"] = []
    sections.append(section)
    n = len(sections)
    loc.sections.setdefault(str(n), row)
    loc.sections.setdefault(f"#{n}", row)
    if isinstance(section["id"], str):
        loc.sections.setdefault(section["id"], row)
    return section


def _question(table: Table, row: int, values: tuple[Any, ...], words: list[str], raw_type: str,
              inline: dict[str, _Inline], problems: list[Problem]) -> dict[str, Any] | None:
    get = table.get
    where = table.where(row, "type")
    q: dict[str, Any] = {"id": _ident(get(values, "name"))}
    base = words[0] if words else ""
    if base in SIMPLE_TYPES and len(words) == 1:
        q["type"] = base
    elif base in LIST_TYPES and len(words) == 2:
        q["type"] = LIST_TYPES[base]
        lname = raw_type.split()[1]
        if lname.startswith("_"):
            item = inline.get(lname)
            if item is None:
                problems.append(Problem(where, f"the list '{lname}' is not on the choices sheet"))
                return None
            item.users.append(str(q["id"]))
            q["choices"] = item.items
        else:
            q["list"] = lname
    elif base in LIST_TYPES:
        problems.append(Problem(where, f"write '{base} LIST' with the name of a list from the choices sheet"))
        return None
    else:
        known = ", ".join([*SIMPLE_TYPES, "select_one LIST", "select_multiple LIST", "grade LIST",
                           "begin section", "end section"])
        problems.append(Problem(where, f"unknown type '{raw_type[:60]}'; use one of {known}"))
        return None
    q["label"] = text_of(get(values, "label"))
    for key in ("guidance", "relevant", "constraint", "constraint_message"):
        value = text_of(get(values, key))
        if value is not None:
            q[key] = value
    required = get(values, "required")
    if isinstance(required, bool):
        q["required"] = required
    elif required is not None:
        text = text_of(required) or ""
        lowered = text.strip().lower()
        q["required"] = True if lowered in _YES else False if lowered in _NO else text
    for key in ("min", "max"):
        value = get(values, key)
        if value is not None:
            q[key] = text_of(value) if q["type"] == "date" and not isinstance(value, int | float) else number_of(value)
    weight = get(values, "weight")
    if weight is not None:
        q["weight"] = number_of(weight)
    evidence = text_of(get(values, "evidence"))
    if evidence is not None:
        q["evidence"] = evidence.strip().lower()
    for key in ("agency", "grade_list"):
        if get(values, key) is not None:
            problems.append(Problem(table.where(row, key), f"'{key}' belongs on the 'begin section' row, "
                                                           f"not on a question"))
    _read_marks(table, row, values, q, problems)
    return q


def _read_marks(table: Table, row: int, values: tuple[Any, ...], q: dict[str, Any], problems: list[Problem]) -> None:
    """The qadesk extensions of a question: urgent_concern, subject_field, learning (template-format.md)."""
    get = table.get
    urgent = text_of(get(values, "urgent_concern"))
    if urgent is not None and urgent.strip():
        # Choice values are single words: "yes" or "yes, partly" (commas or spaces between them).
        q["urgent_concern"] = [v for v in urgent.replace(",", " ").split() if v]
    field = _ident(get(values, "subject_field"))
    if field is not None:
        q["subject_field"] = field.lower() if isinstance(field, str) else field
    learning = get(values, "learning")
    if isinstance(learning, bool):
        q["learning"] = learning
    elif learning is not None:
        lowered = (text_of(learning) or "").strip().lower()
        if lowered in _YES:
            q["learning"] = True
        elif lowered in _NO:
            q["learning"] = False
        elif lowered:
            problems.append(Problem(table.where(row, "learning"), f"'learning' is yes or no (blank: qadesk's "
                                                                  f"default rule), not '{lowered[:40]}'"))
