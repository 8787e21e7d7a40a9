"""What each column of a case list is: recognised by its header, or as a named mapping says.

Three layouts are read with no mapping:

- qadesk's own: a header that names ``case_ref``, ``case_type``, ``team`` and ``worker`` (any case; a
  space or a hyphen reads as ``_``), and the common words for them ("Case reference", "Allocated team",
  "Social worker", ...);
- the child-level lists of Ofsted's Annex A that hold open cases: list 2 (early help), 6 (children in
  need), 7 (child protection plans), 8 (children looked after) and 9 (care leavers), told apart by the
  headers only that list carries ("Child Protection Plan Start Date", "Child's Legal Status", "Eligibility
  Category", ...); the list gives the case type of its children (list 6's "Case Status" gives each child's
  where it says looked after or child protection plan);
- a file whose columns a saved mapping names.

Some columns are never stored, whatever a mapping says: names (the child's, a parent's, a carer's),
addresses and postcodes, NHS, pupil and National Insurance numbers, e-mail addresses and telephone
numbers. A date of birth is read only to give the case its age band.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qadesk.core.cases import ColumnMapping, normalise_header

QADESK_LAYOUT = "case-list"

CASE_REF_KEYS = ("case_ref", "case_reference", "case_reference_number", "case_id", "case_number", "case_no",
                 "reference", "ref", "child_unique_id", "child_id", "unique_id", "child_ref", "child_reference",
                 "child_number", "person_id", "person_ref", "person_reference", "client_id", "cms_id",
                 "cms_reference", "lcs_id", "mosaic_id", "eclipse_id", "id")
CASE_TYPE_KEYS = ("case_type", "case_types", "case_type_code", "type_of_case", "case_category", "category_of_case",
                  "case_type_legal_status", "legal_status", "case_status", "service_level")
TEAM_KEYS = ("team", "allocated_team", "team_name", "owning_team", "responsible_team", "service_team", "worker_team",
             "team_allocated", "unit")
WORKER_KEYS = ("worker", "allocated_worker", "social_worker", "allocated_social_worker", "key_worker", "case_worker",
               "caseworker", "worker_name", "allocated_to", "practitioner", "lead_practitioner", "lead_professional",
               "allocated_personal_advisor", "allocated_personal_adviser", "personal_advisor", "personal_adviser")
DOB_KEYS = ("date_of_birth", "dob", "birth_date", "birthdate", "d_o_b", "child_dob", "childs_date_of_birth",
            "child_date_of_birth")
AGE_BAND_KEYS = ("age_band", "age_group", "age_range")
AGE_KEYS = ("age", "age_of_child_years", "age_of_child", "age_years", "childs_age", "age_in_years")
_CHILD_ID = re.compile(r"^child(ren)?s?_.*id(entifier)?$")


@dataclass(frozen=True)
class Layout:
    """How a table was recognised: ``key`` is the case's source (``annex-a-7``, ``case-list`` or the mapping's
    name), ``case_type`` the type of every case the table does not give one for."""

    key: str
    title: str
    case_type: str | None = None
    mapping: str | None = None
    lenient_case_type: bool = False  # list 6's "Case Status": a status that is no case type keeps the list's


# The lists of Annex A that hold open cases, most specific first, each with the headers only it carries.
ANNEX_A: tuple[tuple[Layout, frozenset[str]], ...] = (
    (Layout("annex-a-9", "Annex A list 9: care leavers", "CL"),
     frozenset({"eligibility_category", "allocated_personal_advisor", "allocated_personal_adviser",
                "latest_pathway_plan_review_date", "la_in_touch", "suitability_of_accommodation"})),
    (Layout("annex-a-8", "Annex A list 8: children looked after", "CLA"),
     frozenset({"date_started_to_be_looked_after", "childs_legal_status", "date_of_latest_statutory_review",
                "number_of_placements_in_the_last_12_months", "date_ceased_to_be_looked_after",
                "date_of_last_iro_visit_contact_to_the_child", "placement_type"})),
    (Layout("annex-a-7", "Annex A list 7: children on a child protection plan", "CP"),
     frozenset({"child_protection_plan_start_date", "initial_category_of_abuse", "latest_category_of_abuse",
                "number_of_previous_child_protection_plans", "date_of_latest_review_conference",
                "child_protection_plan_end_date"})),
    (Layout("annex-a-6", "Annex A list 6: children in need", "CIN", lenient_case_type=True),
     frozenset({"cin_start_date", "primary_need_code", "cin_closure_date", "date_child_was_last_seen"})),
    (Layout("annex-a-2", "Annex A list 2: early help", "EH"),
     frozenset({"organisation_completing_assessment", "early_help_start_date", "early_help_assessment_start_date",
                "early_help_assessment_completion_date", "early_help_end_date"})),
)

# Names: the words of a header about a person's name, and the words that make it an organisation's or a
# member of staff's instead ("Team name", "School name", "Worker name").
_NAME_WORDS = frozenset({"name", "names", "forename", "forenames", "surname", "surnames", "firstname", "lastname",
                         "fullname", "givenname", "familyname", "middlename", "initials"})
_NAME_KEYS = ("first_name", "last_name", "given_name", "family_name", "middle_name", "full_name", "known_as",
              "preferred_name", "maiden_name", "also_known_as", "aka")
_NOT_A_PERSON = frozenset({"team", "school", "provider", "organisation", "organization", "placement", "agency",
                           "service", "setting", "la", "authority", "unit", "file", "sheet", "worker", "practitioner",
                           "adviser", "advisor", "manager", "professional", "iro", "chair", "gp", "surgery",
                           "establishment", "home", "ward", "hospital", "court", "office", "indicator", "list"})
_IDENTIFYING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(^|_)(address|addr|street)(_|$)"), "an address"),
    (re.compile(r"(^|_)(post_?code|postal_code|zip_?code)(_|$)"), "a postcode"),
    (re.compile(r"(^|_)nhs(_|$)"), "an NHS number"),
    (re.compile(r"(^|_)(upn|unique_pupil_number|uln|pupil_number)(_|$)"), "a pupil number"),
    (re.compile(r"(^|_)(ni_number|ni_no|nino|national_insurance)"), "a National Insurance number"),
    (re.compile(r"(^|_)(e_?mail)(_|$)"), "an e-mail address"),
    (re.compile(r"(^|_)(phone|telephone|mobile|tel)(_|$)"), "a telephone number"),
)


def identifying(key: str) -> str | None:
    """What a column under this normalised header is when it identifies a person ("a name", "a postcode",
    ...), or None. Such a column is never stored."""
    if key in DOB_KEYS:
        return None
    words = set(key.split("_"))
    if (words & _NAME_WORDS or any(k in key for k in _NAME_KEYS)) and not words & _NOT_A_PERSON:
        return "a name"
    for pattern, what in _IDENTIFYING:
        if pattern.search(key):
            return what
    return None


@dataclass(frozen=True)
class Column:
    """One column of a table: where it is, its header, and what it becomes.

    ``role``: a key of :data:`qadesk.core.cases.ROLES`, or ``dropped`` for a column that identifies a person
    (``dropped_why`` says what it is); ``kind``, for a kept column: ``date``, ``flag``, ``number`` or
    ``None`` (decided from its values).
    """

    index: int
    header: str
    key: str
    role: str
    kind: str | None = None
    dropped_why: str | None = None


def _kind_of(key: str, header: str) -> str | None:
    """A column's kind when its header says it (its values must then fit), else None."""
    words = key.split("_")
    if "date" in words or key.endswith("_dob"):
        return "date"
    lowered = header.strip().lower()
    if re.search(r"\(\s*y\s*/\s*n\s*\)|\by/n\b", lowered) or (
            words[0] in {"is", "was", "does", "did", "has", "have", "are", "were", "can"} and len(words) > 1):
        return "flag"
    if key in AGE_KEYS or words[0] in {"number", "count"} or key.startswith(("no_of_", "num_of_")):
        return "number"
    return None


def _first(keys: dict[str, int], candidates: tuple[str, ...]) -> str | None:
    return next((k for k in candidates if k in keys), None)


def detect_layout(keys: list[str], mapping: ColumnMapping | None = None) -> Layout | None:
    """How a header row of normalised keys is read, or None when nothing gives the case reference."""
    present = set(keys)
    if mapping is not None:
        if any(role == "case_ref" and key in present for key, role in mapping.columns.items()):
            return Layout(mapping.name, f"Mapping '{mapping.name}'", mapping.case_type, mapping=mapping.name)
        return None
    has_child_id = any(k == "child_unique_id" or _CHILD_ID.match(k) for k in keys)
    if has_child_id:
        for layout, marks in ANNEX_A:
            if present & marks:
                return layout
    if _first({k: 0 for k in keys}, CASE_REF_KEYS) or has_child_id:
        return Layout(QADESK_LAYOUT, "Case list")
    return None


def plan_columns(headers: list[object], layout: Layout, mapping: ColumnMapping | None = None) -> list[Column]:
    """What each column of a header row becomes under ``layout`` (and ``mapping``, when one is used)."""
    keys: dict[str, int] = {}
    texts = [("" if h is None else str(h)).strip() for h in headers]
    normalised = [normalise_header(t) for t in texts]
    for i, key in enumerate(normalised):
        if key and key not in keys:
            keys[key] = i
    roles: dict[int, str] = {}
    if mapping is not None:
        for key, role in mapping.columns.items():
            if key in keys:
                roles[keys[key]] = role
    annex = layout.key.startswith("annex-a-")

    def claim(role: str, candidates: tuple[str, ...]) -> None:
        if role in roles.values():
            return
        for key in candidates:
            if key in keys and keys[key] not in roles:
                roles[keys[key]] = role
                return

    claim("case_ref", CASE_REF_KEYS)
    if "case_ref" not in roles.values():
        child_id = next((k for k in keys if _CHILD_ID.match(k)), None)
        if child_id is not None and keys[child_id] not in roles:
            roles[keys[child_id]] = "case_ref"
    if annex:
        # Annex A's legal status holds the legal basis (C2, V2, ...), not a case type: only list 6's case status.
        if layout.lenient_case_type:
            claim("case_type", ("case_status",))
    elif not (mapping is not None and mapping.case_type):
        claim("case_type", CASE_TYPE_KEYS)
    claim("team", TEAM_KEYS)
    claim("worker", WORKER_KEYS)
    claim("date_of_birth", DOB_KEYS)
    claim("age_band", AGE_BAND_KEYS)
    columns: list[Column] = []
    seen: set[str] = set()
    for i, (text, key) in enumerate(zip(texts, normalised, strict=True)):
        why = identifying(key)
        if why is not None:  # whatever a mapping says: a name is never a reference, nor kept
            columns.append(Column(i, text, key, "dropped", dropped_why=why))
            continue
        role = roles.get(i, "field")
        if role == "field" and (not key or key in seen):
            role = "skip"  # an empty header, or a second column of the same name: nothing to file it under
        seen.add(key)
        columns.append(Column(i, text, key, role, kind=_kind_of(key, text) if role == "field" else None))
    return columns


def header_row(rows: list[tuple[int, list[object]]], mapping: ColumnMapping | None = None,
               search: int = 10) -> int | None:
    """The index (into ``rows``) of the header row: the first of the first ``search`` rows that gives a case
    reference (a title or a note above the header is passed over); None when none does."""
    for i, (_number, values) in enumerate(rows[:search]):
        keys = [normalise_header("" if v is None else str(v)) for v in values]
        if detect_layout(keys, mapping) is not None:
            return i
    return None
