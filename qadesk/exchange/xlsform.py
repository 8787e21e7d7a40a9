"""Forms from ODK and KoboToolbox: reading a standard XLSForm workbook as a qadesk template.

Mapping: ``begin group``/``end group`` become sections (nested groups are
flattened into the outermost, their label kept as a note and their
``relevant`` joined into their questions'), ``hint`` (and ``guidance_hint``)
becomes guidance, ``select_one LIST`` / ``select one from LIST`` become
choice questions, ``select_multiple`` multi-choice, ``range`` keeps its
``start``/``end``.  Label columns in several languages (``label::English (en)``,
``label:English``) are read in one language: the one asked for, else the
form's ``default_language``, else English, else the first.

What qadesk cannot represent (repeats, locations, media, calculations,
external choices, ...) is listed row by row in one refusal, or with
``lenient=True`` skipped, each skip a warning.  Form metadata rows (``start``,
``end``, ``deviceid``, ...) carry no question and are always skipped with a
warning.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from qadesk.core.errors import Problem
from qadesk.core.expressions import ExpressionError, parse
from qadesk.core.template import FORMAT, KINDS, NAME_RE
from qadesk.exchange.xlsx_io import Sheet
from qadesk.exchange.xlsx_layout import Locator, Table, number_of, read_header, text_of

METADATA = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username",
            "email", "audit", "start-geopoint", "background-audio", "imei", "uri:deviceid"}
UNSUPPORTED = {
    "geopoint": "a location", "geotrace": "a location trace", "geoshape": "a location area",
    "image": "a photo", "audio": "an audio recording", "video": "a video", "file": "a file upload",
    "barcode": "a barcode scan", "calculate": "a calculation", "acknowledge": "an acknowledgement",
    "rank": "a ranking", "hidden": "a hidden value", "datetime": "a date and time", "time": "a time of day",
    "xml-external": "external data", "csv-external": "external data", "trigger": "an acknowledgement",
    "select_one_from_file": "choices from an external file", "select_multiple_from_file":
    "choices from an external file", "begin repeat": "a repeat (questions asked several times)",
    "begin_repeat": "a repeat (questions asked several times)", "begin loop": "a loop",
    "select_one_external": "external choices", "osm": "an OpenStreetMap question", "signature": "a signature",
}
UNSUPPORTED_COLUMNS = {"choice_filter": "cascading choices (choice_filter)", "repeat_count": "a repeat count",
                       "calculation": "a calculation", "trigger": "a trigger"}
SIMPLE = {"text": "text", "integer": "integer", "int": "integer", "decimal": "decimal", "date": "date",
          "note": "note", "range": "range"}
DEFAULT_OVERALL = [{"value": "outstanding", "label": "Outstanding", "score": 4},
                   {"value": "good", "label": "Good", "score": 3},
                   {"value": "ri", "label": "Requires improvement to be good", "score": 2},
                   {"value": "inadequate", "label": "Inadequate", "score": 1}]
_LANG = re.compile(r"^(label|hint|guidance_hint|constraint_message|constraint message)\s*::?\s*(.+)$")
SURVEY_KNOWN = {"type": "type", "name": "name", "label": "label", "hint": "guidance", "guidance": "guidance",
                "guidance_hint": "guidance_hint", "required": "required", "relevant": "relevant",
                "constraint": "constraint", "constraint_message": "constraint_message",
                "constraint message": "constraint_message", "min": "min", "max": "max", "weight": "weight",
                "evidence": "evidence", "agency": "agency", "grade_list": "grade_list", "appearance": "appearance",
                "parameters": "parameters", "choice_filter": "choice_filter", "repeat_count": "repeat_count",
                "calculation": "calculation", "trigger": "trigger"}


def build_xlsform(sheets: dict[str, Sheet], *, lenient: bool = False, language: str | None = None
                  ) -> tuple[dict[str, Any], Locator, list[Problem], list[str]]:
    """``(template dict, locator, problems, warnings)`` for an XLSForm workbook."""
    return _Builder(sheets, lenient, language).build()


class _Builder:
    def __init__(self, sheets: dict[str, Sheet], lenient: bool, language: str | None) -> None:
        self.sheets = sheets
        self.lenient = lenient
        self.language = language
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.loc = Locator()
        self.settings: dict[str, Any] = {}

    def build(self) -> tuple[dict[str, Any], Locator, list[Problem], list[str]]:
        self._read_settings()
        lang = self._pick_language()
        lists = self._read_choices(lang)
        data: dict[str, Any] = {"format": FORMAT}
        data.update(self._template_fields())
        sections = self._read_survey(lang, lists) if "survey" in self.sheets else []
        if "survey" not in self.sheets:
            self.problems.append(Problem("survey", "the workbook has no 'survey' sheet"))
        overall_list = text_of(self.settings.get("overall_list"))
        if overall_list is None:
            overall_list = "ofsted4" if "ofsted4" not in lists else "qadesk_overall"
            lists[overall_list] = DEFAULT_OVERALL
            self.warnings.append(f"the form has no overall grade; qadesk added the list '{overall_list}' "
                                 f"(Outstanding … Inadequate) for the auditor's overall judgement")
        data["lists"] = lists
        data["overall"] = {"list": overall_list.strip(),
                           "suggest": (text_of(self.settings.get("overall_suggest")) or "none").strip().lower()}
        data["sections"] = sections
        return data, self.loc, self.problems, self.warnings

    def refuse(self, where: str, what: str) -> None:
        if self.lenient:
            self.warnings.append(f"{where}: {what}: skipped")
        else:
            self.problems.append(Problem(where, f"{what}: qadesk cannot represent this (import leniently to "
                                                f"skip it)"))

    # --------------------------------------------------------------- settings and languages
    def _read_settings(self) -> None:
        sheet = self.sheets.get("settings")
        known = {"form_title": "title", "title": "title", "form_id": "form_id", "id_string": "form_id",
                 "version": "version", "default_language": "default_language", "kind": "kind",
                 "audit_kind": "kind", "theme": "theme", "publisher": "publisher", "description": "description",
                 "overall_list": "overall_list", "overall_suggest": "overall_suggest"}
        if sheet is None:
            return
        table, rows = read_header(sheet, known, self.problems, strict=False)
        self.loc.settings = table
        if rows:
            self.loc.settings_row, values = rows[0]
            self.settings = {col: table.get(values, col) for col in table.columns}

    def _languages(self) -> list[str]:
        survey = self.sheets.get("survey")
        found: list[str] = []
        for h in (survey.rows[0][1] if survey and survey.rows else ()):
            m = _LANG.match(" ".join(str(h).split()).lower()) if h is not None else None
            if m and m.group(1) == "label" and str(h).split(":")[-1].strip() not in found:
                found.append(str(h).split(":")[-1].strip())
        return found

    def _pick_language(self) -> str | None:
        langs = self._languages()
        if not langs:
            return None
        if self.language:
            for lang in langs:
                code = re.search(r"\(([^)]+)\)", lang)
                if self.language.lower() in (lang.lower(), code.group(1).lower() if code else ""):
                    return lang
            self.problems.append(Problem("survey", f"the form has no labels in '{self.language}'; its languages: "
                                                   f"{', '.join(langs)}"))
            return langs[0]
        default = text_of(self.settings.get("default_language"))
        for wanted in ([default] if default else []) + ["english", "(en)"]:
            for lang in langs:
                if wanted.lower() in lang.lower():
                    return lang
        return langs[0]

    def _columns(self, sheet: Sheet, base: dict[str, str], lang: str | None) -> tuple[Table, list]:
        """Header table with the chosen language's columns as the plain ones."""
        known = dict(base)
        if sheet.rows:
            for h in sheet.rows[0][1]:
                if h is None:
                    continue
                text = " ".join(str(h).split()).lower()
                m = _LANG.match(text)
                if m and lang is not None and str(h).split(":")[-1].strip().lower() == lang.lower():
                    known[text] = base.get(m.group(1), m.group(1))
        table, rows = read_header(sheet, known, self.problems, strict=False)
        if lang is not None and "label" not in table.columns:
            self.problems.append(Problem(table.where(table.header_row, None), f"no label column in {lang}"))
        return table, rows

    def _template_fields(self) -> dict[str, Any]:
        s = self.settings
        title = text_of(s.get("title"))
        raw_id = text_of(s.get("form_id")) or title or ""
        tid = re.sub(r"[^a-z0-9]+", "-", raw_id.strip().lower()).strip("-")[:64]
        if tid != raw_id.strip():
            self.warnings.append(f"form_id '{raw_id[:60]}' became the template id '{tid}' (lower-case letters, "
                                 f"digits and hyphens)")
        kind = (text_of(s.get("kind")) or "regular").strip().lower().replace(" ", "_").replace("-", "_")
        out = {"id": tid or None, "version": self._version(s.get("version")), "title": title or raw_id or None,
               "kind": kind if kind in KINDS else kind}
        for key in ("theme", "publisher", "description"):
            out[key] = text_of(s.get(key))
        return out

    def _version(self, raw: Any) -> Any:
        if raw is None:
            self.warnings.append("the form has no version; it is imported as version 1")
            return 1
        value = number_of(raw)
        if isinstance(value, int) and 1 <= value <= 1_000_000:
            return value
        text = text_of(raw) or ""
        m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(\d{0,2})", text.strip())
        if m:
            try:
                day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                day = None
            if day is not None and day >= date(2000, 1, 1):
                # Days since 2000 times 100 plus the day's revision: later versions stay higher.
                mapped = (day - date(2000, 1, 1)).days * 100 + int(m.group(4) or 0)
                if mapped <= 1_000_000:
                    self.warnings.append(f"version '{text}' (a date) was mapped to version {mapped}")
                    return mapped
        parts = re.fullmatch(r"v?(\d{1,3})(?:\.(\d{1,2}))?(?:\.(\d{1,2}))?", text.strip().lower())
        if parts:
            mapped = int(parts.group(1)) * 10_000 + int(parts.group(2) or 0) * 100 + int(parts.group(3) or 0)
            if mapped >= 1:
                self.warnings.append(f"version '{text}' was mapped to version {mapped}")
                return mapped
        return value

    # --------------------------------------------------------------- choices
    def _read_choices(self, lang: str | None) -> dict[str, list[dict[str, Any]]]:
        sheet = self.sheets.get("choices")
        lists: dict[str, list[dict[str, Any]]] = {}
        if sheet is None:
            return lists
        base = {"list_name": "list_name", "list name": "list_name", "name": "name", "value": "name",
                "label": "label", "score": "score"}
        table, rows = self._columns(sheet, base, lang)
        self.loc.choices = table
        for row, values in rows:
            lname = text_of(table.get(values, "list_name"))
            if lname is None:
                continue
            lname = lname.strip()
            choice: dict[str, Any] = {"value": (text_of(table.get(values, "name")) or "").strip() or None,
                                      "label": text_of(table.get(values, "label"))}
            if choice["label"] is None:
                choice["label"] = self._fallback_label(sheet, values) or choice["value"]
            score = number_of(table.get(values, "score"))
            if score is not None:
                choice["score"] = score
            lists.setdefault(lname, []).append(choice)
            self.loc.lists.setdefault(lname, []).append(row)
        return lists

    def _fallback_label(self, sheet: Sheet, values: tuple[Any, ...]) -> str | None:
        for idx, h in enumerate(sheet.rows[0][1]):
            if h is not None and str(h).strip().lower().startswith("label") and idx < len(values) and values[idx]:
                return text_of(values[idx])
        return None

    # --------------------------------------------------------------- survey
    def _read_survey(self, lang: str | None, lists: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
        table, rows = self._columns(self.sheets["survey"], SURVEY_KNOWN, lang)
        self.loc.survey = table
        sections: list[dict[str, Any]] = []
        stack: list[tuple[str, int, str | None]] = []  # open groups: (name, row, relevant)
        current: dict[str, Any] | None = None
        skipping: tuple[str, int] | None = None  # inside a refused repeat: (kind, depth)
        depth = 0
        for row, values in rows:
            get = table.get
            raw = " ".join((text_of(get(values, "type")) or "").split())
            words = raw.lower().replace("begin_", "begin ").replace("end_", "end ").split()
            where = table.where(row, "type")
            if skipping is not None:
                if words[:2] in (["begin", "repeat"], ["begin", "group"], ["begin", "loop"]):
                    depth += 1
                elif words[:2] in (["end", "repeat"], ["end", "group"], ["end", "loop"]):
                    depth -= 1
                    if depth == 0:
                        skipping = None
                continue
            if not words:
                if any(v is not None for v in values):
                    self.problems.append(Problem(where, "the type is empty"))
                continue
            name = (text_of(get(values, "name")) or "").strip()
            if words[:2] in (["begin", "repeat"], ["begin", "loop"]):
                self.refuse(where, f"'{raw} {name}' is {UNSUPPORTED[' '.join(words[:2])]}, with every question in it")
                skipping, depth = ("repeat", row), 1
                continue
            if words[:2] == ["begin", "group"]:
                relevant = self._expr(table, row, values, "relevant")
                if not stack:
                    current = self._section(table, row, values, relevant)
                    sections.append(current)
                    self._register_section(sections, current, row)
                else:
                    outer = current["id"] if current is not None else stack[0][0]
                    self.warnings.append(f"{where}: the group '{name}' is inside another group; qadesk has no "
                                         f"nested sections, so it was flattened into section '{outer}'")
                    if current is not None and NAME_RE.match(name or "-"):
                        label = text_of(get(values, "label")) or name
                        self._add(current, sections, row, {"id": name, "type": "note", "label": label})
                stack.append((name, row, relevant))
                continue
            if words[:2] == ["end", "group"]:
                if stack:
                    stack.pop()
                    if not stack:
                        current = None
                else:
                    self.problems.append(Problem(where, "'end group' without a 'begin group' above it"))
                continue
            if words[0] in METADATA:
                self.warnings.append(f"{where}: '{raw}' is form metadata, not a question: skipped")
                continue
            question = self._question(table, row, values, words, raw, where, lists)
            if question is None:
                continue
            inner = [r for _, _, r in stack[1:] if r]
            if inner:
                parts = [f"({r})" for r in inner] + ([f"({question['relevant']})"] if "relevant" in question else [])
                question["relevant"] = " and ".join(parts)
            if current is None:
                current = {"id": f"part_{len(sections) + 1}", "title": text_of(self.settings.get("title"))
                           or "Questions", "questions": []}
                sections.append(current)
                self._register_section(sections, current, row)
                self.warnings.append(f"{where}: questions outside any group were put into section "
                                     f"'{current['id']}'")
            self._add(current, sections, row, question)
        return sections

    def _register_section(self, sections: list[dict[str, Any]], section: dict[str, Any], row: int) -> None:
        n = len(sections)
        for key in (str(n), f"#{n}", str(section["id"])):
            self.loc.sections.setdefault(key, row)

    def _add(self, section: dict[str, Any], sections: list[dict[str, Any]], row: int, q: dict[str, Any]) -> None:
        section["questions"].append(q)
        sref = str(section["id"]) if NAME_RE.match(str(section["id"])) else f"#{len(sections)}"
        self.loc.positions[(sref, len(section["questions"]))] = row
        self.loc.questions.setdefault(str(q["id"]), row)

    def _section(self, table: Table, row: int, values: tuple[Any, ...], relevant: str | None) -> dict[str, Any]:
        get = table.get
        name = (text_of(get(values, "name")) or "").strip() or None
        section: dict[str, Any] = {"id": name, "title": text_of(get(values, "label")) or name}
        guidance = self._guidance(table, values)
        if guidance:
            section["guidance"] = guidance
        if relevant:
            section["relevant"] = relevant
        agency = text_of(get(values, "agency"))
        if agency:
            section["agency"] = agency
        grade = text_of(get(values, "grade_list"))
        if grade:
            section["grade"] = {"list": grade.strip()}
        section["questions"] = []
        return section

    def _guidance(self, table: Table, values: tuple[Any, ...]) -> str | None:
        parts = [text_of(table.get(values, c)) for c in ("guidance", "guidance_hint")]
        return "\n\n".join(p for p in parts if p) or None

    def _expr(self, table: Table, row: int, values: tuple[Any, ...], key: str) -> str | None:
        text = text_of(table.get(values, key))
        if text is None or not self.lenient:
            return text
        try:
            parse(text)
        except ExpressionError as exc:
            self.warnings.append(f"{table.where(row, key)}: '{text[:80]}' is not qadesk logic ({exc.reason}): "
                                 f"dropped")
            return None
        return text

    def _question(self, table: Table, row: int, values: tuple[Any, ...], words: list[str], raw: str,
                  where: str, lists: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | None:
        get = table.get
        base = words[0]
        if base in UNSUPPORTED or " ".join(words[:2]) in UNSUPPORTED:
            self.refuse(where, f"'{raw}' is {UNSUPPORTED.get(base) or UNSUPPORTED[' '.join(words[:2])]}")
            return None
        for col, what in UNSUPPORTED_COLUMNS.items():
            if get(values, col) is not None:
                self.refuse(table.where(row, col), f"{what} on this question")
                return None
        q: dict[str, Any] = {"id": (text_of(get(values, "name")) or "").strip() or None}
        if words[:3] in (["select", "one", "from"], ["select", "all", "that"]):
            words = ["select_one" if words[1] == "one" else "select_multiple", words[-1]]
            raw = f"{words[0]} {raw.split()[-1]}"
            base = words[0]
        if base in ("select_one", "select_multiple", "select1"):
            if len(words) < 2:
                self.problems.append(Problem(where, f"write '{base} LIST' with a list from the choices sheet"))
                return None
            if len(words) > 2:
                self.refuse(where, f"'{raw}' ('{' '.join(raw.split()[2:])}' choices)")
                return None
            q["type"] = "multi_choice" if base == "select_multiple" else "choice"
            q["list"] = raw.split()[1]
        elif base in SIMPLE and len(words) == 1:
            q["type"] = SIMPLE[base]
            appearance = (text_of(get(values, "appearance")) or "").lower()
            if base == "text" and "multiline" in appearance:
                q["type"] = "long_text"
        else:
            self.refuse(where, f"'{raw}' is not a question type qadesk knows")
            return None
        q["label"] = text_of(get(values, "label")) or (q["id"] if q["type"] == "note" else None)
        guidance = self._guidance(table, values)
        if guidance:
            q["guidance"] = guidance
        for key in ("relevant", "constraint"):
            text = self._expr(table, row, values, key)
            if text:
                q[key] = text
        if "constraint" in q and text_of(get(values, "constraint_message")):
            q["constraint_message"] = text_of(get(values, "constraint_message"))
        required = text_of(get(values, "required"))
        if required:
            low = required.strip().lower()
            if low in ("yes", "true", "true()", "y"):
                q["required"] = True
            elif low not in ("no", "false", "false()", "n"):
                text = self._expr(table, row, values, "required")
                if text:
                    q["required"] = text
        if q["type"] == "range":
            params = dict(re.findall(r"(start|end|step)\s*=\s*(-?[\d.]+)", text_of(get(values, "parameters")) or ""))
            q["min"], q["max"] = number_of(params.get("start", "1")), number_of(params.get("end", "10"))
            if params.get("step", "1") not in ("1", "1.0"):
                self.warnings.append(f"{where}: the range's step {params['step']} was dropped; qadesk ranges "
                                     f"step by 1")
        for key in ("min", "max", "weight"):
            if get(values, key) is not None:
                q[key] = number_of(get(values, key))
        evidence = text_of(get(values, "evidence"))
        if evidence:
            q["evidence"] = evidence.strip().lower()
        return q
