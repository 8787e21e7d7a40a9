"""qadesk.core.identifiers: what looks identifying in free text, and what ordinary audit prose does not."""

from __future__ import annotations

import pytest

from qadesk.core.identifiers import (
    case_numbers,
    find_suspects,
    name_lists,
    name_parts,
    nhs_number_valid,
    same_date,
)


def found(text: str, **kw) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in find_suspects(text, **kw)]


@pytest.mark.parametrize(("text", "kind", "what"), [
    ("Seen with Jayden at school.", "name", "Jayden"),
    ("Grace Okafor attended.", "name", "Grace Okafor"),
    ("Grace said she felt safe.", "name", "Grace"),
    ("We met Mrs Hargreaves.", "name", "Mrs Hargreaves"),
    ("DS Lee phoned.", "name", "DS Lee"),
    ("Seen by J. Smith and", "name", "J. Smith"),
    ("Seen by T Kowalski today", "name", "T Kowalski"),
    ("then O'Brien came", "name", "O'Brien"),
    ("Zephyrine Qwertz visited.", "name", "Zephyrine Qwertz"),
    ("born 12/03/2015.", "date", "12/03/2015"), ("born 12.3.15.", "date", "12.3.15"),
    ("born 12-03-2015", "date", "12-03-2015"), ("born 2015-03-12", "date", "2015-03-12"),
    ("born 12 March 2015", "date", "12 March 2015"), ("born 12th Mar 2015", "date", "12th Mar 2015"),
    ("born 12th of March 2015", "date", "12th of March 2015"), ("born March 12, 2015", "date", "March 12, 2015"),
    ("born March 2015", "date", "March 2015"), ("born Mar '15", "date", "Mar '15"), ("seen 7 June", "date", "7 June"),
    ("ref CR-104233", "case_ref", "CR-104233"), ("ref LCS 55512", "case_ref", "LCS 55512"),
    ("record 55512345 shows", "case_ref", "55512345"),
    ("at B15 2TT", "postcode", "B15 2TT"), ("at SW1A 1AA", "postcode", "SW1A 1AA"), ("at m1 1ae", "postcode", "m1 1ae"),
    ("NHS 943 476 5919", "nhs_number", "943 476 5919"), ("NHS 9434765919", "nhs_number", "9434765919"),
    ("on 07700 900123", "phone", "07700 900123"), ("on +44 7700 900123", "phone", "+44 7700 900123"),
    ("on +44 (0)20 7946 0018", "phone", "+44 (0)20 7946 0018"), ("on (0161) 496 0000", "phone", "(0161) 496 0000"),
    ("to kelly.okoro@example.org.", "email", "kelly.okoro@example.org"),
])
def test_each_kind_is_found(text, kind, what):
    assert (kind, what) in found(text)


def test_a_short_bare_number_is_a_case_reference_only_when_the_store_knows_it():
    assert found("case 10423 and 55123") == []  # six digits or more are a suspect anyway
    assert found("case 10423, cr10423 and 55123", known_numbers={"10423"}) == [
        ("case_ref", "10423"), ("case_ref", "cr10423")]
    assert case_numbers("CR-104233") == {"104233"} and "00123" in case_numbers("LCS/2023/00123")


def test_nhs_numbers_need_their_check_digit():
    assert nhs_number_valid("9434765919") and not nhs_number_valid("9434765918")
    assert ("nhs_number", "943 476 5918") not in found("NHS 943 476 5918")


@pytest.mark.parametrize("text", [
    "Will the plan be reviewed? May need more work. Hope is that it improves.",
    "Mark the chronology as updated. Amber rating at the last review.",
    "Visited in May and again in June; between April and August nothing changed.",
    "Brown bag lunch. Grace period for the plan.",
    "The Child Protection plan was reviewed at the core group. Signs of Safety used well.",
    "Assessment Team 1, Children in Care East, Early Help North and the Disabled Children's Team.",
    "Seen alone on 3 of 4 visits; score 7/10; at 14:30; £1,250 agreed; Q3 2026 figures.",
    "See AUD-2026-0042 and the audit of 2025.",
    "The social worker and the team manager agreed the plan with the family.",
])
def test_ordinary_audit_prose_is_left_alone(text):
    assert found(text) == []


def test_known_names_are_matched_by_their_parts():
    patterns = [p for p, _ in name_parts("Jayden Lee Okoro-Smith")]
    assert "Jayden" in patterns and "Okoro" in patterns and "Smith" in patterns


def test_a_date_of_birth_is_known_however_little_of_it_is_written():
    assert same_date((2015, 3, None), [(2015, 3, 12)]) and same_date((None, 3, 12), [(2015, 3, 12)])
    assert not same_date((2015, 4, None), [(2015, 3, 12)])


def test_the_shipped_lists_hold_thousands_of_names():
    forenames, surnames, ordinary = name_lists()
    assert len(forenames) > 1500 and len(surnames) > 1500 and {"will", "may", "grace"} <= ordinary


def test_the_demo_datas_free_text_raises_no_suspect_but_its_dates(loaded_store):
    """The false-positive rate on the shipped demo data: no name, number, postcode, phone or email in its
    prose is taken for an identifier; its evidence notes quote dates ("Case note dated 7 June"), which are."""
    from qadesk.services.demo import generate
    from qadesk.services.packs import preview_pseudonymisation
    from qadesk.services.queries import Selection

    generate(loaded_store, audits=150, seed=4)
    suspects = preview_pseudonymisation(loaded_store, Selection()).suspects
    assert suspects and {s.kind for s in suspects} == {"date"}
