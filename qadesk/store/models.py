"""The tables of the qadesk store (SQLAlchemy 2, typed mappings).

A child is never named here: a case is its reference from the case
management system, its case type, team and an age band.  Every change to an
audit, judgement, action or moderation also lands in ``history`` (see
:mod:`qadesk.store.history`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Setting(Base):
    """Key/value settings that belong with the data (the user's profile, counters)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class TemplateVersion(Base):
    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("template_id", "version", name="uq_template_version"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(400))
    kind: Mapped[str] = mapped_column(String(32))
    theme: Mapped[str | None] = mapped_column(String(400))
    publisher: Mapped[str | None] = mapped_column(String(400))
    fingerprint: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)  # canonical JSON
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("name", "organisation", name="uq_person"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    # Migration 0016: the person's database login on a team server (unique where given), and what they do
    # in qadesk (qadesk.core.permissions.Role ids, comma-separated; ``role`` is their job title).
    login: Mapped[str | None] = mapped_column(String(100), index=True, unique=True)
    roles: Mapped[str | None] = mapped_column(String(200))


class Case(Base):
    """A case of the council's case list (migration 0010: imported from CSV or Excel, kept up to date by
    reference). ``fields`` holds the list's other columns as JSON (dates as ``{"$date": "YYYY-MM-DD"}``);
    ``source`` is the list it last came in (``annex-a-7``, ``case-list`` or a mapping's name), and
    ``listed`` whether the latest import of that list still had it (a case that left the list is kept,
    with its audits and history, but is no longer sampled)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_listed_team", "listed", "team", "reference"),
        Index("ix_cases_source", "source"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(100), unique=True)
    case_type: Mapped[str | None] = mapped_column(String(8))
    team: Mapped[str | None] = mapped_column(String(200))
    age_band: Mapped[str | None] = mapped_column(String(20))
    worker: Mapped[str | None] = mapped_column(String(200))
    fields: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    listed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    first_imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    imported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseListMapping(Base):
    """A named mapping of a case list's columns (migration 0010), chosen once for a source and remembered:
    ``columns`` is JSON {normalised header: role}, ``headers`` the headers of the file it was made for (a
    file with the same headers uses it unasked)."""

    __tablename__ = "case_list_mappings"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    columns: Mapped[str] = mapped_column(Text)
    headers: Mapped[str | None] = mapped_column(Text)
    case_type: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Indicator(Base):
    """One figure of the performance data (migration 0010): an indicator's value for a team and a month
    (``period``, its first day), with its target where one is set. ``team`` is empty for the whole
    service."""

    __tablename__ = "indicators"
    __table_args__ = (
        UniqueConstraint("indicator", "team", "period", name="uq_indicator_team_period"),
        Index("ix_indicators_team_period", "team", "period"),
    )

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(200))
    team: Mapped[str] = mapped_column(String(200), default="")
    period: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(20))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CasePerson(Base):
    """Someone in a case's life (the child, a parent, a carer, a professional), for masking free text.

    Kept only in this store (encrypted with it when it is): never in an audit document, a pack, a
    report or the history.  Pseudonymising an external pack masks each name, and its parts, as its
    role ("[child]", "[mother]").  Migration 0009.
    """

    __tablename__ = "case_people"
    __table_args__ = (Index("ix_case_people_case", "case_ref", "position"),)

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    role: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    other_names: Mapped[str | None] = mapped_column(Text)  # "known as", earlier surnames: comma-separated
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Programme(Base):
    """An audit programme: e.g. 'Neglect thematic Q3' or 'Monthly regular audits, December'."""

    __tablename__ = "programmes"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    # The plan (migration 0002): which template, which teams, how many audits per team.
    template_id: Mapped[str | None] = mapped_column(String(64))
    teams: Mapped[str | None] = mapped_column(Text)  # JSON list of team names
    target_per_team: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ProgrammeSample(Base):
    """A sample drawn for a programme and confirmed (migration 0011): its seed, options, chosen cases with
    their reasons and the counts behind them, kept so it can be shown to an inspector and drawn again."""

    __tablename__ = "programme_samples"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_pk: Mapped[int] = mapped_column(ForeignKey("programmes.pk", ondelete="CASCADE"), index=True)
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    drawn_by: Mapped[str] = mapped_column(String(200))
    seed: Mapped[int] = mapped_column(BigInteger)
    options: Mapped[str] = mapped_column(Text)  # JSON: qadesk.core.sampling.SampleOptions.to_dict
    record: Mapped[str] = mapped_column(Text)  # JSON: the whole Sample.to_dict (chosen cases, counts)
    allocation: Mapped[str] = mapped_column(Text)  # JSON: the auditors offered, the rule, each case's auditor
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the case list the sample was drawn from
    chosen: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)  # assigned draft audits it created


class Assignment(Base):
    """An audit assigned to an auditor in a programme, with a due date (migration 0011)."""

    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_auditor_due", "auditor_name", "due_on"),
        Index("ix_assignments_programme", "programme_pk", "team"),
    )

    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    programme_pk: Mapped[int] = mapped_column(ForeignKey("programmes.pk", ondelete="CASCADE"))
    sample_pk: Mapped[int | None] = mapped_column(ForeignKey("programme_samples.pk", ondelete="SET NULL"))
    team: Mapped[str | None] = mapped_column(String(200))  # the case's team when it was assigned
    auditor_name: Mapped[str] = mapped_column(String(200))
    auditor_role: Mapped[str | None] = mapped_column(String(200))
    due_on: Mapped[date | None] = mapped_column(Date)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    assigned_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)  # why the case was chosen
    # The audit's revision when it was assigned (or handed over): a later one means the auditor has begun.
    revision_assigned: Mapped[int] = mapped_column(Integer, default=1)


class ModerationChoice(Base):
    """A completed audit chosen for moderation by the QA lead's sample (migration 0012): why it was chosen
    (an extreme grade, the share stratified by auditor and grade, or the minimum per auditor per quarter),
    by whom and when, and the seed and options of the draw, so the choice can be shown and drawn again."""

    __tablename__ = "moderation_choices"

    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    chosen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    chosen_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    step: Mapped[str] = mapped_column(String(16))  # extreme | share | minimum
    seed: Mapped[int] = mapped_column(BigInteger)
    options: Mapped[str] = mapped_column(Text)  # JSON: qadesk.core.moderation_sampling.ModerationSampleOptions


class Audit(Base):
    __tablename__ = "audits"
    __table_args__ = (
        Index("ix_audits_status_started", "status", "started_at"),
        Index("ix_audits_team_started", "team", "started_at"),
        Index("ix_audits_started", "started_at"),
        Index("ix_audits_template_ref", "template_pk", "reference"),
        Index("ix_audits_case_ref", "case_ref"),
        Index("ix_audits_practitioner", "practitioner"),
        # Migration 0003: one index per list sort (column, reference) and a covering one for search.
        Index("ix_audits_status_ref", "status", "reference"),
        Index("ix_audits_case_type_ref", "case_type", "reference"),
        Index("ix_audits_team_ref", "team", "reference"),
        Index("ix_audits_completed_ref", "completed_at", "reference"),
        Index("ix_audits_updated_ref", "updated_at", "reference"),
        Index("ix_audits_search", "reference", "case_ref", "practitioner"),
        # Migration 0005: Home (an auditor's drafts, grades by month) and Moderation (oldest completed).
        Index("ix_audits_auditor_status_updated", "auditor_name", "status", "updated_at"),
        # Migration 0007 (replacing 0005's and 0006's on the auditor's grade): Home's grades by month and
        # the list sorted by grade in grade order, both on the final grade.
        Index("ix_audits_status_completed_final", "status", "completed_at", "final_grade"),
        Index("ix_audits_final_score_ref", "final_score", "reference"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    template_pk: Mapped[int] = mapped_column(ForeignKey("template_versions.pk"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    case_ref: Mapped[str | None] = mapped_column(String(100))
    case_type: Mapped[str | None] = mapped_column(String(8))
    team: Mapped[str | None] = mapped_column(String(200))
    practitioner: Mapped[str | None] = mapped_column(String(200))
    subject_extra: Mapped[str | None] = mapped_column(Text)  # JSON: supervisor, respondent, ...
    auditor_name: Mapped[str | None] = mapped_column(String(200))
    auditor_role: Mapped[str | None] = mapped_column(String(200))
    programme_pk: Mapped[int | None] = mapped_column(ForeignKey("programmes.pk"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revision: Mapped[int] = mapped_column(Integer, default=1)
    overall_grade: Mapped[str | None] = mapped_column(String(64))
    # The overall grade's score on its template's list (Outstanding 4 ... Inadequate 1), kept beside the
    # grade so the audits list sorts in grade order from an index; None when ungraded or unscored.
    overall_score: Mapped[float | None] = mapped_column(Float)
    # The grade the audit counts with (migration 0007): its latest moderation's grade where it has one,
    # the auditor's overall grade otherwise; and that grade's score, for the list's grade order.
    final_grade: Mapped[str | None] = mapped_column(String(64))
    final_score: Mapped[float | None] = mapped_column(Float)
    overall_suggested: Mapped[str | None] = mapped_column(String(64))
    overall_rationale: Mapped[str | None] = mapped_column(Text)
    strengths: Mapped[str | None] = mapped_column(Text)
    development: Mapped[str | None] = mapped_column(Text)
    impact_on_child: Mapped[str | None] = mapped_column(Text)
    practitioner_reflection: Mapped[str | None] = mapped_column(Text)
    family_feedback: Mapped[str | None] = mapped_column(Text)
    answered_count: Mapped[int] = mapped_column(Integer, default=0)
    origin: Mapped[str | None] = mapped_column(String(200))  # the organisation an imported audit came from

    # The revision is the audit's version counter: every UPDATE (and DELETE) of its row is
    # ``... WHERE id = ? AND revision = <the revision read>``, so a change made on a revision someone
    # else has moved on from matches no row and fails (StaleDataError, turned into
    # :class:`qadesk.core.errors.WriteConflict` by ``Store.transaction``) instead of overwriting theirs.
    # qadesk sets the new revision itself (``touch``; an import may jump to the pack's).
    __mapper_args__ = {"version_id_col": revision, "version_id_generator": False}

    template: Mapped[TemplateVersion] = relationship(lazy="joined")
    programme: Mapped[Programme | None] = relationship(lazy="joined")
    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                 order_by="Answer.position")
    section_judgements: Mapped[list[SectionJudgement]] = relationship(cascade="all, delete-orphan",
                                                                      lazy="selectin")
    actions: Mapped[list[ActionItem]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="ActionItem.created_at")
    moderations: Mapped[list[Moderation]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                         order_by="Moderation.at")
    # Who it is assigned to in its programme, if anyone (read only: the services write Assignment rows
    # themselves). Loaded when asked for; :func:`qadesk.services.queries.audit_batches` loads it a batch at a time.
    assignment: Mapped[Assignment | None] = relationship(lazy="select", viewonly=True, uselist=False)


class Answer(Base):
    __tablename__ = "answers"

    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # the question's place in the form
    value: Mapped[str | None] = mapped_column(Text)  # JSON
    evidence: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SectionJudgement(Base):
    __tablename__ = "section_judgements"

    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    grade: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ActionItem(Base):
    __tablename__ = "actions"
    __table_args__ = (
        Index("ix_actions_status_due", "status", "due"),
        # Migration 0005: the actions of some audits, and one person's actions (Home, Actions).
        Index("ix_actions_audit_status", "audit_id", "status"),
        Index("ix_actions_owner_status_due", "owner", "status", "due"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, done, cancelled
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closing_note: Mapped[str | None] = mapped_column(Text)
    # An urgent action records who was told of the concern and when (migration 0007).
    told_whom: Mapped[str | None] = mapped_column(Text)
    told_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Moderation(Base):
    __tablename__ = "moderations"
    __table_args__ = (Index("ix_moderations_at", "at"),)  # migration 0005: past moderations, newest first

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    moderator_name: Mapped[str] = mapped_column(String(200))
    moderator_organisation: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="internal")  # internal, external
    grade: Mapped[str | None] = mapped_column(String(64))
    agreed: Mapped[bool] = mapped_column(Boolean, default=True)
    rationale: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Blind second marking (migration 0013): whether the auditor's judgements were hidden until the
    # moderator had recorded their own; the moderator's own overall grade and when they recorded it
    # (for an open moderation, recorded with the outcome); learning points for the auditor.
    blind: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    own_grade: Mapped[str | None] = mapped_column(String(64))
    own_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    learning_points: Mapped[str | None] = mapped_column(Text)

    sections: Mapped[list[ModerationSection]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                             order_by="ModerationSection.section_id")
    notes: Mapped[list[ModerationNote]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                       order_by="ModerationNote.at")


class ModerationSection(Base):
    """The moderator's own judgement of one section, with the auditor's grade of it when they moderated."""

    __tablename__ = "moderation_sections"

    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id", ondelete="CASCADE"), primary_key=True)
    section_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    own_grade: Mapped[str | None] = mapped_column(String(64))
    auditor_grade: Mapped[str | None] = mapped_column(String(64))


class ModerationNote(Base):
    """One entry of the dialogue after a moderation: the moderator's note or the auditor's response."""

    __tablename__ = "moderation_notes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    moderation_id: Mapped[str] = mapped_column(ForeignKey("moderations.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # moderator | auditor
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BlindJudgement(Base):
    """A moderator's own judgements of an audit, recorded blind, before they see the auditor's.

    One per audit and moderator until they conclude the moderation (then the moderation row keeps them
    and this row goes; the history keeps both steps)."""

    __tablename__ = "blind_judgements"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), index=True)
    moderator_name: Mapped[str] = mapped_column(String(200))
    moderator_organisation: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # internal, external
    own_grade: Mapped[str | None] = mapped_column(String(64))
    sections: Mapped[str] = mapped_column(Text)  # JSON: section id -> the moderator's grade
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class HistoryEntry(Base):
    """Append-only, hash-chained record of every change (who, when, what, before, after)."""

    __tablename__ = "history"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(200))
    audit_id: Mapped[str | None] = mapped_column(String(36), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class PackMapping(Base):
    """Pseudonyms the sender keeps, so that a moderation return re-links to the right audits."""

    __tablename__ = "pack_mappings"

    pk: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(36), index=True)
    audit_id: Mapped[str] = mapped_column(String(36), index=True)
    field: Mapped[str] = mapped_column(String(40))
    real_value: Mapped[str] = mapped_column(Text)
    pseudonym: Mapped[str] = mapped_column(String(200))


class ImportedPack(Base):
    """Packs already imported (importing the same pack twice changes nothing)."""

    __tablename__ = "imported_packs"

    pack_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sender: Mapped[str | None] = mapped_column(Text)


class CalibrationExercise(Base):
    """A calibration exercise (migration 0014): one completed audit, copied without anything that identifies
    the case or shows its judgements, that several auditors grade blind, then a panel agrees.

    ``document`` is the anonymised copy (an audit document with no case reference, practitioner, team,
    auditor, dates of birth, grades, rationale or moderations; names in free text masked). ``audit_id`` and
    ``original`` (the auditor's grades when the exercise was made, JSON) are kept only in the store that
    made it; a copy imported from a calibration pack has neither, and ``origin`` says where it came from."""

    __tablename__ = "calibration_exercises"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # UUID, the same in every copy
    reference: Mapped[str] = mapped_column(String(40))
    template_pk: Mapped[int] = mapped_column(ForeignKey("template_versions.pk"))
    audit_id: Mapped[str | None] = mapped_column(ForeignKey("audits.id", ondelete="SET NULL"), index=True)
    document: Mapped[str] = mapped_column(Text)  # JSON: the anonymised copy
    original: Mapped[str | None] = mapped_column(Text)  # JSON: {"overall": grade, "sections": {id: grade}}
    owner_name: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str | None] = mapped_column(String(200))  # a copy: the organisation it came from
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, agreed
    agreed_overall: Mapped[str | None] = mapped_column(String(64))
    agreed_sections: Mapped[str | None] = mapped_column(Text)  # JSON: section id -> the agreed grade
    notes: Mapped[str | None] = mapped_column(Text)  # the panel's discussion
    agreed_by: Mapped[str | None] = mapped_column(String(200))
    agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    template: Mapped[TemplateVersion] = relationship(lazy="joined")
    ratings: Mapped[list[CalibrationRating]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                            order_by="CalibrationRating.at")


class CalibrationRating(Base):
    """One rater's blind grades of a calibration exercise: per graded section and overall (one per rater;
    ``rater_key`` is the name without case or spacing). ``pack_id``: the return it came back in, if any."""

    __tablename__ = "calibration_ratings"
    __table_args__ = (UniqueConstraint("exercise_id", "rater_key", name="uq_calibration_rater"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    exercise_id: Mapped[str] = mapped_column(ForeignKey("calibration_exercises.id", ondelete="CASCADE"), index=True)
    rater_name: Mapped[str] = mapped_column(String(200))
    rater_key: Mapped[str] = mapped_column(String(200))
    rater_role: Mapped[str | None] = mapped_column(String(200))
    organisation: Mapped[str | None] = mapped_column(String(200))
    overall: Mapped[str | None] = mapped_column(String(64))
    sections: Mapped[str] = mapped_column(Text)  # JSON: section id -> the rater's grade
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pack_id: Mapped[str | None] = mapped_column(String(36))


class Conflict(Base):
    """One field of an audit that two copies changed differently (migration 0015): found by a sync with the
    team server or a pack import, kept until a person resolves it (mine, theirs, both, or their own text).

    ``base``, ``mine`` and ``theirs`` are JSON ``{"v": value}``, or NULL where that copy has no value (the
    answer was not given, the action was removed). ``mine`` is this store's copy, ``theirs`` the server's or
    the pack's. The history records the resolution (an audit entry ``resolve``)."""

    __tablename__ = "conflicts"
    __table_args__ = (Index("ix_conflicts_audit_open", "audit_id", "resolved_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # sync | pack
    source_ref: Mapped[str | None] = mapped_column(String(200))  # the server's name, or the pack's id
    path: Mapped[str] = mapped_column(String(200))  # qadesk.core.merge field path: answers.q3.evidence
    base: Mapped[str | None] = mapped_column(Text)
    mine: Mapped[str | None] = mapped_column(Text)
    theirs: Mapped[str | None] = mapped_column(Text)
    theirs_revision: Mapped[int | None] = mapped_column(Integer)  # the other copy's revision when found
    theirs_by: Mapped[str | None] = mapped_column(String(200))  # who changed theirs, where known
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolution: Mapped[str | None] = mapped_column(String(16))  # mine | theirs | both | edited
    resolved_value: Mapped[str | None] = mapped_column(Text)  # JSON {"v": value}, NULL: no value


class SyncBase(Base):
    """On a laptop that syncs with a team server (migration 0015): each checked-out audit's copy as both
    sides last agreed it — the base of the next three-way merge — and where each side stood then."""

    __tablename__ = "sync_bases"

    audit_id: Mapped[str] = mapped_column(ForeignKey("audits.id", ondelete="CASCADE"), primary_key=True)
    server_revision: Mapped[int] = mapped_column(Integer)  # the server's revision of the audit at the last sync
    local_revision: Mapped[int] = mapped_column(Integer)  # this store's revision of it just after
    server_seq: Mapped[int] = mapped_column(Integer, default=0)  # the server's history head then
    local_seq: Mapped[int] = mapped_column(Integer, default=0)  # this store's history head then
    document: Mapped[str] = mapped_column(Text)  # JSON: the audit document both sides agreed
    synced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
