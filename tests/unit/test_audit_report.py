"""The audit report PDF read back with pypdf: content, labels, relevance, long text, marking, pages."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pypdf
import pytest

from qadesk.core.errors import NotFound
from qadesk.exchange.output import Cancelled
from qadesk.services import audits as svc
from qadesk.services.reporting import write_audit_report
from tests.helpers.exports import ALL_TYPES_TEMPLATE, fill_audit, import_dict, set_up_people

A = "Test Auditor"


def _text(path: Path) -> tuple[list[str], str]:
    pages = [p.extract_text() for p in pypdf.PdfReader(path).pages]
    return pages, "\n".join(pages)


@pytest.fixture
def every_type(loaded_store):
    import_dict(loaded_store, ALL_TYPES_TEMPLATE)
    with loaded_store.transaction() as s:
        set_up_people(s)
        a = svc.start_audit(s, "every-type-test", svc.Subject("CR-123456", "CIN", "Assessment 2", "Alex Fictional"),
                            svc.Actor(A, "Practice manager"))
        aid = a.id
        for qid, value, ev in [("q_text", "Seen at school <b>&</b> home", "Case note 12 <i>"),
                               ("q_long", "Line one\nLine two", None), ("q_int", 7, None), ("q_dec", 2.5, None),
                               ("q_date", "2026-11-25", None), ("q_range", 8, None), ("q_choice", "yes", "Visit log"),
                               ("q_multi", ["genogram", "three_houses"], None), ("q_grade", "ri", None)]:
            svc.save_answer(s, aid, qid, value, actor=A, evidence=ev if ev else ...)
        svc.set_section_grade(s, aid, "all", "ri", actor=A)
        svc.set_overall(s, aid, actor=A, grade="ri")
        svc.set_summary(s, aid, "strengths", "=HYPERLINK(\"x\") is just text", actor=A)
        svc.add_action(s, aid, "Review the plan", actor=A, owner="Sam Teammate", due=date(2026, 12, 9), urgent=True,
                       told_whom="Ali Manager, team manager", told_at=datetime(2026, 11, 24, 16, 5, tzinfo=timezone.utc))
        svc.submit(s, aid, actor=A)
        svc.moderate(s, aid, moderator=svc.Actor("Mo Derator", organisation="Neighbouring Council"), agreed=False,
                     grade="good", rationale="Better than graded", kind="external")
    return loaded_store, aid


def test_every_question_type_as_a_person_reads_it(every_type, tmp_path):
    store, aid = every_type
    with store.session() as s:
        path = write_audit_report(s, aid, tmp_path / "audit.pdf")
    pages, text = _text(path)
    flat = " ".join(text.split())
    for expected in ["Every question type", "CR-123456", "Alex Fictional", "Child in Need (CIN)", "Assessment 2",
                     "Seen at school <b>&</b> home", "Evidence: Case note 12 <i>", "Line one", "Line two",
                     "7", "2.5", "25 Nov 2026", "8", "Yes, seen", "Genogram; Three houses",
                     "Quality of the plan", "Requires improvement to be good", "Section judgement",
                     "=HYPERLINK(\"x\") is just text", "Review the plan", "Sam Teammate", "9 Dec 2026",
                     "Open (urgent)", "Moderated grade: Good", "Mo Derator, Neighbouring Council",
                     "Better than graded", "Example Borough Council", "Practice manager"]:
        assert expected in flat, expected
    # Labels, not stored values; the hidden question and the guidance note are left out.
    assert "three_houses" not in flat and "q_choice" not in flat
    assert "Why was the child not seen alone?" not in flat
    assert "Read the case record first" not in flat
    for n, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2
        assert f"Page {n} of {len(pages)}" in page
        assert f"Generated {svc.now_utc().astimezone().day}" in page


def test_relevance_shows_the_follow_up_when_it_applies(loaded_store, tmp_path):
    import_dict(loaded_store, ALL_TYPES_TEMPLATE)
    with loaded_store.transaction() as s:
        aid = svc.start_audit(s, "every-type-test", svc.Subject("CR-1"), svc.Actor(A)).id
        svc.save_answer(s, aid, "q_choice", "no", actor=A)
        svc.save_answer(s, aid, "q_why", "Mother stayed in the room", actor=A)
    with loaded_store.session() as s:
        _, text = _text(write_audit_report(s, aid, tmp_path / "a.pdf"))
    assert "Why was the child not seen alone?" in text and "Mother stayed in the room" in text
    assert "No, not seen" in text and "Not answered" in text and "Draft" in text


def test_very_long_answers_break_across_pages(loaded_store, tmp_path):
    with loaded_store.transaction() as s:
        set_up_people(s)
        aid = fill_audit(s, "supervision-audit", long=True)
        svc.add_action(s, aid, "Long action " + "x y " * 2000 + "END-OF-ACTION", actor=A, owner="Sam Teammate")
    with loaded_store.session() as s:
        pages, text = _text(write_audit_report(s, aid, tmp_path / "long.pdf"))
    assert len(pages) > 10
    flat = "".join(text.split())
    assert flat.count("Made-upnote0<b>bold&'quoted'</b>loremipsum") > 1000
    assert "END-OF-ACTION" in flat


def test_pseudonymised_report_names_nobody(every_type, tmp_path):
    store, aid = every_type
    with store.session() as s:
        _, text = _text(write_audit_report(s, aid, tmp_path / "p.pdf", pseudonymise=True))
    for secret in ("CR-123456", "Alex Fictional", "Sam Teammate", A, "Mo Derator"):
        assert secret not in text
    assert "CASE-0001" in text and "Practitioner A" in text


def test_cancel_and_failure_leave_nothing(every_type, tmp_path):
    store, aid = every_type
    target = tmp_path / "out" / "c.pdf"
    target.parent.mkdir()
    target.write_bytes(b"the previous report")
    with store.session() as s:
        with pytest.raises(Cancelled):
            write_audit_report(s, aid, target, cancel=lambda: True)
        with pytest.raises(NotFound):
            write_audit_report(s, "AUD-1999-0001", target)
    assert target.read_bytes() == b"the previous report"
    assert [p.name for p in target.parent.iterdir()] == ["c.pdf"]


def test_several_audit_reports_in_one_pdf(loaded_store, tmp_path):
    from qadesk.services.queries import Selection
    from qadesk.services.reporting import write_audit_reports
    from tests.helpers.exports import make_audits

    make_audits(loaded_store, 3)
    path = write_audit_reports(loaded_store, tmp_path / "all.pdf", Selection(teams=["Assessment 2", "Family Support"]))
    pages, text = _text(path)
    assert "Audit report: AUD-2026-0001" in text and "Audit report: AUD-2026-0003" in text
    assert "AUD-2026-0002" not in text  # Children in Care East is not chosen
    assert all(f"of {len(pages)}" in p for p in pages)


@pytest.fixture
def in_london():
    """The computer's clock on British Summer Time (UTC+1 in July), as many users' laptops are."""
    import os
    import time

    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/London"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_report_times_are_the_computers_own_like_the_window(in_london):
    from datetime import datetime, timezone

    from qadesk.exchange.output import uk_date, uk_datetime

    # Stored in UTC: 23:30 on 1 July is 00:30 on 2 July in London, and the window says 2 Jul.
    stored = "2026-07-01T23:30:00+00:00"
    assert uk_datetime(stored) == "2 Jul 2026, 00:30"
    assert uk_date(stored) == "2 Jul 2026"
    assert uk_date(datetime(2026, 7, 1, 23, 30, tzinfo=timezone.utc)) == "2 Jul 2026"
    assert uk_date("2026-07-01") == "1 Jul 2026"  # a plain date has no time zone to convert
