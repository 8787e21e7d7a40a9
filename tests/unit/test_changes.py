"""Every commit says what kind of thing it changed (qadesk.services.changes), on a real store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qadesk.services import audits, changes, moderation
from qadesk.services.changes import Changes
from qadesk.services.profile import Profile, set_profile
from qadesk.services.programmes import ProgrammePlan, create_programme
from qadesk.store import open_store
from qadesk.store.models import Audit, Base, Case
from tests.helpers.cli import run_qadesk

ME = "Test Auditor"
TEXT_QUESTION = "lived_experience"


@pytest.fixture(name="heard")
def heard_fixture(loaded_store) -> Iterator[list[Changes]]:
    """What the loaded store's commits announce, in order."""
    heard: list[Changes] = []
    changes.subscribe(heard.append, loaded_store)
    yield heard
    changes.unsubscribe(heard.append)


def start(store) -> str:
    subject = audits.Subject(case_ref="MADEUP-7001", case_type="CIN", team="Made-up Team", practitioner="Pat Example")
    with store.transaction() as s:
        return audits.start_audit(s, "regular-case-audit", subject, audits.Actor(ME)).id


def only(heard: list[Changes]) -> Changes:
    assert len(heard) == 1, [c.describe() for c in heard]
    return heard.pop()


def test_starting_an_audit_announces_the_list_and_the_audit(loaded_store, heard) -> None:
    audit_id = start(loaded_store)
    c = only(heard)
    assert c.audits and c.touches(audit_id) and c.answers_of(audit_id)
    assert not (c.actions or c.moderation or c.templates or c.programmes or c.profile or c.all_audits)
    assert c.history  # the history entry the start wrote, so a poll can tell it was made here


def test_an_answer_announces_the_answers_of_that_audit_only(loaded_store, heard) -> None:
    audit_id = start(loaded_store)
    other = start(loaded_store)
    heard.clear()
    with loaded_store.transaction() as s:
        audits.save_answer(s, audit_id, TEXT_QUESTION, "Made-up words of the child", actor=ME)
    c = only(heard)
    assert c.answers == {audit_id} and c.audit_ids == {audit_id}
    assert not c.audits, "an answer changes no column the lists show"
    assert not c.touches(other) and not c.concerns("actions", "moderation", "templates", "profile")
    assert c.concerns("answers")


def test_the_overall_grade_and_the_summary(loaded_store, heard) -> None:
    audit_id = start(loaded_store)
    heard.clear()
    with loaded_store.transaction() as s:
        audits.set_summary(s, audit_id, "strengths", "Made-up strengths", actor=ME)
    c = only(heard)
    assert c.answers == {audit_id} and not c.audits
    with loaded_store.transaction() as s:
        audits.set_overall(s, audit_id, actor=ME, grade="good")
    c = only(heard)
    assert c.audits and c.answers_of(audit_id), "the grade shows in the lists"


def test_actions_announce_actions_of_their_audit(loaded_store, heard) -> None:
    audit_id = start(loaded_store)
    heard.clear()
    with loaded_store.transaction() as s:
        action_id = audits.add_action(s, audit_id, "Made-up action", actor=ME, owner="A. Owner",
                                      due=date.today() + timedelta(days=7)).id
    c = only(heard)
    assert c.actions and c.touches(audit_id) and not c.moderation
    with loaded_store.transaction() as s:
        audits.update_action(s, action_id, actor=ME, status="done")
    c = only(heard)
    assert c.actions and c.touches(audit_id)
    with loaded_store.transaction() as s:
        audits.remove_action(s, action_id, actor=ME)
    assert only(heard).actions


def test_moderation_announces_moderation_and_the_list(tmp_path) -> None:
    from qadesk.services.demo import generate
    from qadesk.services.queries import Selection, list_audits

    store = open_store(tmp_path / "demo")
    try:
        generate(store, audits=12, seed=5)
        with store.session() as s:
            row = list_audits(s, Selection(statuses=["completed"]), limit=1)[0]
        heard: list[Changes] = []
        changes.subscribe(heard.append, store)
        try:
            with store.transaction() as s:
                moderation.moderate(s, row.id, moderator=audits.Actor("M. Oderator", organisation="Elsewhere"),
                                    agreed=True)
        finally:
            changes.unsubscribe(heard.append)
        c = only(heard)
        assert c.moderation and c.audits and c.touches(row.id) and not c.actions
    finally:
        store.close()


def test_templates_programmes_cases_and_the_profile(store, loaded_store, heard) -> None:
    from qadesk.core.bundle import bundle_path
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template

    heard.clear()
    with loaded_store.transaction() as s:
        create_programme(s, ProgrammePlan(name="Made-up programme", template_id="regular-case-audit"), actor=ME)
    c = only(heard)
    assert c.programmes and not c.audits and not c.templates
    with loaded_store.transaction() as s:
        set_profile(s, Profile(name="Made-up Person", role="Team manager", organisation="Example Council"))
    assert only(heard) == Changes(profile=True)
    with loaded_store.transaction() as s:
        s.add(Case(reference="MADEUP-CASE-1", case_type="CP", team="Made-up Team"))
    assert only(heard) == Changes(cases=True)
    # A template imported into another store is not this store's change.
    with store.transaction() as s:
        import_template(s, read_template(next(bundle_path("forms").glob("*.json"))), actor=ME)
    assert heard == []


def test_a_template_import_announces_templates(store) -> None:
    from qadesk.core.bundle import bundle_path
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template

    heard: list[Changes] = []
    changes.subscribe(heard.append, store)
    try:
        with store.transaction() as s:
            import_template(s, read_template(next(bundle_path("forms").glob("*.json"))), actor=ME)
    finally:
        changes.unsubscribe(heard.append)
    assert only(heard) == Changes(templates=True)


def test_a_rollback_announces_nothing(loaded_store, heard) -> None:
    audit_id = start(loaded_store)
    heard.clear()
    with pytest.raises(RuntimeError), loaded_store.transaction() as s:
        audits.save_answer(s, audit_id, TEXT_QUESTION, "Made-up text never kept", actor=ME)
        s.flush()
        raise RuntimeError("the work failed after writing")
    assert heard == []
    with loaded_store.transaction() as s:  # and what was gathered before the rollback is not carried on
        audits.set_summary(s, audit_id, "strengths", "Made-up strengths", actor=ME)
    assert only(heard) == Changes(answers=frozenset({audit_id}), audit_ids=frozenset({audit_id}))


@pytest.mark.expect_error_dialog  # the subscriber's bug is logged as an error, and the commit stands
def test_a_failing_subscriber_never_breaks_the_commit(loaded_store, heard, caplog) -> None:
    def broken(_c: Changes) -> None:
        raise ValueError("a subscriber with a bug")

    changes.subscribe(broken, loaded_store)
    try:
        with caplog.at_level(logging.ERROR, logger="qadesk.changes"):
            audit_id = start(loaded_store)
    finally:
        changes.unsubscribe(broken)
    with loaded_store.session() as s:
        assert s.get(Audit, audit_id) is not None, "committed"
    assert only(heard).touches(audit_id), "the other subscribers still heard it"
    assert "a subscriber to changes failed" in caplog.text


def test_a_second_store_object_on_the_same_database_is_the_same_data(loaded_store, heard, data_dir) -> None:
    second = open_store(data_dir)
    try:
        audit_id = start(second)
    finally:
        second.close()
    assert only(heard).touches(audit_id)


def test_every_table_has_a_kind_of_change() -> None:
    mapped = {m.class_ for m in Base.registry.mappers}
    assert mapped, "the models were found"
    assert mapped - set(changes.KINDS) == set(), "a model class has no kind of change in services.changes.KINDS"
    assert set(Base.metadata.tables) - set(changes._BULK) == set(), "a table has no kind for bulk statements"


def test_bulk_statements_announce_their_table(loaded_store, heard) -> None:
    from sqlalchemy import insert, update

    with loaded_store.transaction() as s:
        s.execute(insert(Case.__table__), [{"reference": f"MADEUP-BULK-{i}", "case_type": "EH"} for i in range(3)])
    assert only(heard) == Changes(cases=True)
    audit_id = start(loaded_store)
    heard.clear()
    with loaded_store.transaction() as s:
        s.execute(update(Audit).where(Audit.id == audit_id).values(team="Another Made-up Team"))
    c = only(heard)
    assert c.audits and c.all_audits, "rows changed in bulk are not named: any audit may have changed"


def test_changes_combine_and_everything_concerns_every_kind() -> None:
    a = Changes(answers=frozenset({"x"}), audit_ids=frozenset({"x"}))
    b = Changes(actions=True, audit_ids=frozenset({"y"}))
    both = a | b
    assert both.answers_of("x") and not both.answers_of("y") and both.touches("y") and both.actions
    assert Changes.merge([a, b]) == both
    assert not Changes() and both
    every = Changes.everything()
    assert every.touches("any-audit") and every.answers_of("any-audit")
    assert every.concerns("audits", "answers", "actions", "moderation", "templates", "programmes", "cases",
                          "profile")
    with pytest.raises(ValueError, match="no kind of change"):
        every.concerns("audit")


def test_the_history_tells_what_another_process_changed(loaded_store, data_dir) -> None:
    audit_id = start(loaded_store)
    with loaded_store.session() as s:
        last = changes.last_history_seq(s)
    result = run_qadesk(data_dir, "audit", "answer", audit_id, f"{TEXT_QUESTION}=Made-up words from the CLI")
    assert result.returncode == 0, result.stderr
    with loaded_store.session() as s:
        found, seq = changes.from_history(s, last)
        again, _ = changes.from_history(s, last, known={seq})
    assert found.answers == {audit_id} and not found.audits and seq > last
    assert not again, "an entry announced already is left out"


def test_the_watch_notices_commits_of_other_connections(loaded_store, data_dir) -> None:
    watch = loaded_store.watch()
    try:
        assert not watch.changed(), "the first look only starts counting"
        assert not watch.changed()
        audit_id = start(loaded_store)  # another connection of this process
        assert watch.changed()
        assert not watch.changed()
        result = run_qadesk(data_dir, "audit", "answer", audit_id, f"{TEXT_QUESTION}=Made-up words")
        assert result.returncode == 0, result.stderr
        assert watch.changed()
        with loaded_store.session() as s:  # reading changes nothing
            s.execute(select(Audit.id)).all()
        assert not watch.changed()
    finally:
        watch.close()


def test_a_bound_method_unsubscribes(loaded_store) -> None:
    class Listener:
        def __init__(self) -> None:
            self.heard: list[Changes] = []

        def hear(self, c: Changes) -> None:
            self.heard.append(c)

    listener = Listener()
    changes.subscribe(listener.hear, loaded_store)
    start(loaded_store)
    changes.unsubscribe(listener.hear)  # another bound-method object than the one subscribed
    start(loaded_store)
    assert len(listener.heard) == 1
