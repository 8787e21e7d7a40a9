"""Audits whose free text holds every identifier variant an external pack must not carry (all made up).

:data:`VARIANTS` lists them, each with its kind: the names on the case's people list and their parts,
names nobody listed (given names, title and surname, initials and surname, two capitalised words), the
case reference however it is written, another case of the store, a case-like number nobody knows, the
date of birth in every British format, other dates, postcodes, NHS numbers, phone numbers, emails, and
the people the pack pseudonymises (practitioner, auditor, a team member, a moderator, the exporter).
:func:`plant` writes them through the real services into evidence notes, answers, the summary
(reflections included), the overall rationale, actions and who was told, a moderation's rationale,
the subject and the programme's name.  The leak test reads the pack back and looks for each.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from itertools import cycle
from typing import Any

from qadesk.core.audit import question_relevant
from qadesk.services import audits as svc
from qadesk.services import people
from qadesk.services.moderation import moderate
from qadesk.services.profile import Profile, set_profile
from qadesk.store.models import Case, Person
from tests.helpers.exports import fill_audit

CASE_REF = "CR-104233"
SIBLING_REF = "CR-104299"  # another case of this store, mentioned in the first one's notes
DOB = "2015-03-12"
NHS = "943 476 5919"  # a valid check digit (modulus 11)
PRACTITIONER, AUDITOR, TEAM_MEMBER = "Morwenna Gatehouse", "Tobias Fennimore", "Rosalind Pemberley"
MODERATOR, EXPORTER = "Ingrid Saltmarsh", "Priya Loveday"
COUNCIL = "Example Borough Council"
PEOPLE = [("child", "Jayden Okoro", "Jay"), ("mother", "Kelly Okoro", None), ("foster carer", "Bernadette Quill", None),
          ("teacher", "Gareth Pryce-Whitley", None)]

# (kind, the text as an auditor typed it)
VARIANTS: list[tuple[str, str]] = [
    # the people list: whole names, given names, surnames, initials and surname, a hyphen's halves, other names
    ("listed", "Jayden Okoro"), ("listed", "JAYDEN OKORO"), ("listed", "Jayden"), ("listed", "Okoro"),
    ("listed", "J. Okoro"), ("listed", "J Okoro"), ("listed", "Jay"), ("listed", "Kelly"),
    ("listed", "Bernadette Quill"), ("listed", "Mrs Quill"), ("listed", "Pryce-Whitley"), ("listed", "Whitley"),
    # names nobody listed
    ("name", "Tyler"), ("name", "Poppy"), ("name", "Mrs Hargreaves"), ("name", "Dr Achebe"),
    ("name", "P. Lindqvist"), ("name", "T Kowalski"), ("name", "Zephyrine Qwertz"), ("name", "Grace Okafor"),
    # the case reference, as written
    ("case_ref", "CR-104233"), ("case_ref", "CR104233"), ("case_ref", "CR 104233"), ("case_ref", "cr-104233"),
    ("case_ref", "104233"), ("case_ref", "CR-104299"), ("case_ref", "104299"), ("case_ref", "LCS-778812"),
    ("case_ref", "55512345"),
    # the date of birth, every way, and other dates
    ("dob", "12/03/2015"), ("dob", "12/3/15"), ("dob", "12.3.15"), ("dob", "12-03-2015"), ("dob", "2015-03-12"),
    ("dob", "12 March 2015"), ("dob", "12th Mar 2015"), ("dob", "12th of March 2015"), ("dob", "March 12, 2015"),
    ("dob", "March 2015"), ("date", "14/10/2019"), ("date", "4 June 2019"),
    # where, and how to reach them
    ("postcode", "B15 2TT"), ("postcode", "SW1A 1AA"), ("postcode", "m1 1ae"),
    ("nhs_number", "943 476 5919"), ("nhs_number", "9434765919"), ("nhs_number", "943-476-5919"),
    ("nhs_number", "401 023 2102"),  # not the case's: a suspect
    ("phone", "07700 900123"), ("phone", "07700900123"), ("phone", "+44 7700 900123"),
    ("phone", "+44 (0)20 7946 0018"), ("phone", "020 7946 0018"), ("phone", "(0161) 496 0000"),
    ("email", "kelly.okoro@example.org"),
    # the people the pack pseudonymises, written into the text
    ("known", PRACTITIONER), ("known", "Gatehouse"), ("known", AUDITOR), ("known", TEAM_MEMBER),
    ("known", MODERATOR),
]
KINDS_FOUND = {"name", "date", "case_ref", "postcode", "nhs_number", "phone", "email"}  # what the detector must report
PROGRAMME = "Okoro family review CR-104233, Jayden (DOB 12/03/2015)"

# Every string that must be nowhere in an external pack: the variants, each word of the names in them, the
# exporter's name (the manifest), and the real values of the fields that are pseudonymised.
SECRETS: list[str] = sorted({text for _, text in VARIANTS} | {
    w for kind, text in VARIANTS if kind in ("listed", "name", "known") for w in text.replace(".", " ").split()
    if len(w) > 2 and w not in ("Mrs", "Dr")} | {EXPORTER, "Loveday", "Priya", CASE_REF, SIBLING_REF, DOB, NHS,
                                                 "Saltmarsh", "Fennimore", "Pemberley"}, key=str.casefold)


def _sentences() -> list[str]:
    return [f"Seen with {text} at the visit." if kind != "email" else f"Wrote to {text} after the visit."
            for kind, text in VARIANTS]


def plant(store: Any) -> list[str]:
    """Two completed audits of the case (and one of its sibling, moderated) holding every variant; their ids."""
    with store.transaction() as s:
        set_profile(s, Profile(name=EXPORTER, role="QA lead", team="Quality", organisation=COUNCIL))
        s.add(Person(name=TEAM_MEMBER, role="Social worker", team="Assessment 2", organisation=COUNCIL))
        s.add_all([Case(reference=CASE_REF, case_type="CP", team="Assessment 2"),
                   Case(reference=SIBLING_REF, case_type="CP", team="Assessment 2")])
        for role, name, other in PEOPLE:
            people.add_person(s, CASE_REF, role, name, other)
    sentences = cycle(_sentences())
    ids = []
    for n, case_ref in enumerate((CASE_REF, CASE_REF, SIBLING_REF)):
        with store.transaction() as s:
            aid = fill_audit(s, "regular-case-audit", n=n, case_ref=case_ref, practitioner=PRACTITIONER,
                             auditor=AUDITOR, submit=False, programme=PROGRAMME,
                             started=datetime(2026, 10, 5 + n, 9, 30, tzinfo=timezone.utc))
            audit = svc.get_audit(s, aid)
            audit.subject_extra = json.dumps({"date_of_birth": DOB, "nhs_number": NHS, "setting": "Oakfield Nursery, B15 2TT",
                                              "supervisor": "Dr Achebe"})
            t = svc.template_for(audit)
            for q in t.questions():
                if not question_relevant(t, q, svc.state_of(svc.get_audit(s, aid)).answers):
                    continue
                if q.id in {a.question_id for a in audit.answers} and q.evidence != "none":
                    svc.save_answer(s, aid, q.id, svc.state_of(audit).answers.get(q.id), actor=AUDITOR,
                                    evidence=" ".join(next(sentences) for _ in range(3)))
                if q.type in ("text", "long_text") and q.id in {a.question_id for a in audit.answers}:
                    svc.save_answer(s, aid, q.id, " ".join(next(sentences) for _ in range(2)), actor=AUDITOR)
            for key in svc.SUMMARY_KEYS:
                svc.set_summary(s, aid, key, " ".join(next(sentences) for _ in range(4)), actor=AUDITOR)
            grade = svc.get_audit(s, aid).overall_grade
            svc.set_overall(s, aid, actor=AUDITOR, grade=grade, rationale=" ".join(next(sentences) for _ in range(4)))
            svc.add_action(s, aid, " ".join(next(sentences) for _ in range(3)), actor=AUDITOR, owner="Kelly Okoro",
                           due=date(2026, 12, 9), urgent=True, told_whom=f"{TEAM_MEMBER} on 07700 900123",
                           told_at=datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc))
            missing = svc.check_submit(s, aid)
            assert not missing, [m.message for m in missing]
            svc.submit(s, aid, actor=AUDITOR)
            ids.append(aid)
    with store.transaction() as s:
        moderate(s, ids[0], moderator=svc.Actor(MODERATOR, organisation=COUNCIL), agreed=True,
                 rationale=" ".join(next(sentences) for _ in range(len(VARIANTS))))
    return ids
