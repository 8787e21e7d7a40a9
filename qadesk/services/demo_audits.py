"""One demo audit after another, as the services would have left it, and writing them in batches.

Each audit's answers, judgements, actions, moderations and history entries
are built from the council (:mod:`qadesk.services.demo_world`) and the
answering rules (:mod:`qadesk.services.demo_answers`), then written with
SQLAlchemy Core ``executemany`` (see :mod:`qadesk.services.demo`).
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from qadesk.core.audit import SUMMARY_KEYS, AuditState, missing_for_submit, section_relevant
from qadesk.core.scoring import choice_score, question_score, suggest_overall
from qadesk.core.template import Choice, Template
from qadesk.services.audit_document import iso
from qadesk.services.audits import next_reference
from qadesk.services.demo_answers import Answerer, clamp, new_uuid, weighted
from qadesk.services.demo_world import UTC, World
from qadesk.store import history
from qadesk.store.models import (
    ActionItem,
    Answer,
    Audit,
    Case,
    Moderation,
    ModerationSection,
    SectionJudgement,
    TemplateVersion,
)

SUMMARY_CHANCE = {"strengths": 0.9, "development": 0.9, "impact_on_child": 0.85,
                  "practitioner_reflection": 0.7, "family_feedback": 0.45}


# ------------------------------------------------------------------------------------------
# One audit, as the services would have left it


@dataclass
class _Plan:
    status: str
    completed_at: datetime | None = None
    moderated_at: list[datetime] = field(default_factory=list)
    closed_at: datetime | None = None


@dataclass
class Batch:
    """The rows of one transaction's audits, table by table, ready for ``executemany``."""

    audits: list[dict[str, Any]] = field(default_factory=list)
    answers: list[dict[str, Any]] = field(default_factory=list)
    judgements: list[dict[str, Any]] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    moderations: list[dict[str, Any]] = field(default_factory=list)
    moderation_sections: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


def _missing(t: Any, state: AuditState, suggested: str | None, today: date) -> list[Any]:
    """What submit would still ask of the answers and judgements (the actions are made to fit afterwards)."""
    return [m for m in missing_for_submit(t, state, suggested, today) if not m.key.startswith("actions.")]


URGENT_TEXT = "See the child today and agree a safety plan with the team manager"


def _make_urgent(a: dict[str, Any], manager: str) -> None:
    """Mark a made-up action urgent, saying who was told (the team manager, as the action was recorded)."""
    a["urgent"] = True
    a["told_whom"], a["told_at"] = f"{manager}, team manager", a["created_at"]


def _urgent_action(audit_id: str, at: datetime, manager: str) -> dict[str, Any]:
    """The urgent action of an audit that flags a concern and agreed no other action (no random draws)."""
    a = {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"qadesk-demo-urgent/{audit_id}")), "audit_id": audit_id,
         "text": URGENT_TEXT, "owner": manager, "due": at.date() + timedelta(days=1), "status": "open",
         "urgent": True, "created_at": at, "closed_at": None, "closing_note": None}
    _make_urgent(a, manager)
    return a


def _action_dict(a: dict[str, Any], status: str) -> dict[str, Any]:
    d = {"id": a["id"], "text": a["text"], "owner": a["owner"], "due": a["due"].isoformat(),
         "status": status, "urgent": a["urgent"]}
    if a["told_whom"]:
        d["told_whom"], d["told_at"] = a["told_whom"], iso(a["told_at"])
    return d


def _moderation_dict(m: dict[str, Any], sections: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": m["id"], "moderator": {"name": m["moderator_name"], "organisation": m["moderator_organisation"]},
            "kind": m["kind"], "grade": m["grade"], "agreed": m["agreed"], "rationale": m["rationale"],
            "at": iso(m["at"]), "blind": m["blind"], "own_grade": m["own_grade"], "own_at": iso(m["own_at"]),
            "sections": {x["section_id"]: {"own": x["own_grade"], "auditor": x["auditor_grade"]}
                         for x in sorted(sections, key=lambda x: x["section_id"])},
            "learning_points": m["learning_points"], "notes": []}


# Blind moderation came in with this financial year: earlier demo moderations were made seeing the grade.
BLIND_FROM = datetime(2026, 4, 1, tzinfo=timezone.utc)


def _step(choices: tuple[Choice, ...], value: str | None, rng: random.Random, down: bool) -> str | None:
    """The grade one step up or down the scale from ``value`` (None when there is no such step)."""
    scored = sorted((c for c in choices if c.score is not None), key=lambda c: c.score)  # type: ignore[arg-type,return-value]
    index = next((i for i, c in enumerate(scored) if c.value == value), None)
    if index is None:
        return None
    target = index - 1 if down else index + 1
    if not 0 <= target < len(scored):
        target = index + 1 if down else index - 1
    return scored[target].value if 0 <= target < len(scored) else None


PERSONA_EVERY = 8  # the demo's persona audits one in eight, so its Home has drafts and completions to show


class AuditMaker:
    """Builds the rows of one audit after another, all from one random generator."""

    def __init__(self, rng: random.Random, world: World, templates: dict[str, tuple[TemplateVersion, Template]],
                 programmes: dict[str, int], anchor: date, q3: tuple[date, date]) -> None:
        self.rng, self.world, self.templates, self.programmes = rng, world, templates, programmes
        self.end = datetime.combine(anchor, time.min, tzinfo=UTC)  # nothing happens on or after the anchor day
        self.q3 = q3
        self.positions = {kind: {q.id: i for i, q in enumerate(t.questions())} for kind, (_, t) in templates.items()}
        self.looks_forward = {kind: Answerer.looks_forward_in(t) for kind, (_, t) in templates.items()}
        self.counts: Counter[str] = Counter()
        self.made = 0

    def plan(self, start: datetime) -> _Plan:
        rng, end = self.rng, self.end
        age = (end - start).days
        if age <= 21:
            status = weighted(rng, {"draft": 75, "completed": 25})
        elif age <= 60:
            status = weighted(rng, {"draft": 25, "completed": 55, "moderated": 20})
        else:  # a few drafts stall and are never finished
            status = weighted(rng, {"draft": 4, "completed": 30, "moderated": 22, "closed": 44})
        if status == "draft":
            return _Plan("draft")
        completed = start + timedelta(hours=rng.uniform(2, 24 * 12))
        plan = _Plan("completed", completed)
        if completed >= end:
            return _Plan("draft")
        last = completed
        if status == "moderated" or (status == "closed" and rng.random() < 0.35):
            at = last + timedelta(days=rng.uniform(5, 35))
            if at < end:
                plan.status, last = "moderated", at
                plan.moderated_at.append(at)
                again = at + timedelta(days=rng.uniform(3, 20))
                if rng.random() < 0.1 and again < end:
                    plan.moderated_at.append(again)
                    last = again
        if status == "closed":
            at = last + timedelta(days=rng.uniform(10, 60))
            if at < end:
                plan.status, plan.closed_at = "closed", at
        return plan

    def make(self, session: Session, start: datetime, kind: str, batch: Batch) -> None:
        rng, world = self.rng, self.world
        row, t = self.templates[kind]
        team = world.team(kind)
        worker, _, worker_quality = rng.choice(team.practitioners)
        quality = clamp(worker_quality + rng.gauss(0, 0.12), 0.02, 0.98)
        case_ref = case_type = age = None
        extra = {"supervisor": team.manager} if kind == "supervision" else None
        if kind != "supervision":
            case_ref, case_type, age = world.case(team, kind)
        auditor, role = rng.choice(world.auditors)
        self.made += 1
        if self.made % PERSONA_EVERY == 1:  # after the draw, so the rest of the demo is as before
            auditor, role = world.persona
        audit_id = new_uuid(rng)
        plan = self.plan(start)
        today = start.date()
        complete = plan.status != "draft"
        stop = 1.0 if complete else rng.uniform(0.1, 1.0)
        ans = Answerer(rng, t, quality, today, case_type, age, worker, self.looks_forward[kind])
        ans.walk(complete, stop)
        state = AuditState(answers=ans.values, evidence=ans.evidence)
        grades, suggested, overall, rationale = self._judge(t, ans, state, complete, stop, quality)
        if complete and _missing(t, state, suggested, today):
            ans.repair(state)  # a rule that reads a later answer asked for more
            grades, suggested, overall, rationale = self._judge(t, ans, state, complete, stop, quality)
            if _missing(t, state, suggested, today):
                self.counts["fell_back_to_draft"] += 1  # not seen with the shipped templates; kept valid anyway
                plan, complete = _Plan("draft"), False
        summary = {k: ans.fill(rng.choice(world.w["summary"][k])) for k in SUMMARY_KEYS
                   if rng.random() < (SUMMARY_CHANCE[k] if complete else 0.25)}

        # The work happens between the start and the submit (or the last edit of a draft), in form order.
        steps = len(ans.values) + len(grades) + (overall is not None) + len(summary)
        n_actions = self._action_count(quality, complete)
        if plan.completed_at is not None:
            finish = plan.completed_at
        else:
            room = max(60.0, min(10 * 86400.0, (self.end - start).total_seconds() - 60))
            finish = start + timedelta(seconds=rng.uniform(60, room))
        span = (finish - start) / (steps + n_actions + 1)
        clock = iter(start + span * (k + 1) for k in range(steps + n_actions))
        subject = {"case_ref": case_ref, "case_type": case_type, "team": team.name, "practitioner": worker}
        reference = next_reference(session, start.year)
        events: list[dict[str, Any]] = [{"at": start, "actor": auditor, "entity": "audit", "entity_id": audit_id,
                                         "action": "start", "after": {"reference": reference, "template": row.template_id,
                                                                     "version": row.version,
                                                                     "subject": {**subject, **(extra or {})},
                                                                     "auditor": {"name": auditor, "role": role}}}]
        # A draft's work is in the history entry by entry, as the form saves it (a completed audit's is in
        # its submit entry whole); kept apart from ``events``, which the revision is counted from below.
        work: list[dict[str, Any]] = []

        def worked(at: datetime, entity: str, entity_id: str, action: str, after: Any) -> None:
            if not complete:
                work.append({"at": at, "actor": auditor, "entity": entity, "entity_id": entity_id, "action": action,
                             "after": after})

        positions = self.positions[kind]
        answers: dict[str, dict[str, Any]] = {}
        for qid in sorted(ans.values, key=positions.__getitem__):
            value, note = ans.values[qid], ans.evidence.get(qid)
            at = next(clock)
            batch.answers.append({"audit_id": audit_id, "question_id": qid, "position": positions[qid],
                                  "value": json.dumps(value, ensure_ascii=False), "evidence": note,
                                  "score": question_score(t.question(qid), value), "updated_at": at})
            answers[qid] = {"value": value, "evidence": note} if note else {"value": value}
            worked(at, "answer", qid, "answer", {"value": value, "evidence": note})
        for sid, grade in grades.items():
            at = next(clock)
            batch.judgements.append({"audit_id": audit_id, "section_id": sid, "grade": grade, "updated_at": at})
            worked(at, "section_judgement", sid, "judge", grade)
        if overall is not None:
            worked(next(clock), "overall", audit_id, "judge", {"grade": overall, "rationale": rationale})
        for key in summary:
            worked(next(clock), "summary", key, "write", summary[key])
        actions = [self._action(audit_id, next(clock), quality, worker, team.manager) for _ in range(n_actions)]
        # An answer that flags an urgent concern needs an urgent action before submit, as in the window; the
        # made-up auditors record one as soon as they flag the concern, drafts too. (No random draws here, so
        # the rest of the demo is as it was before urgent concerns were checked.)
        if any(t.question(qid).flags_urgent(v) for qid, v in ans.values.items()) and not any(
                a["urgent"] for a in actions):
            if actions:
                _make_urgent(actions[0], team.manager)
            else:
                actions.append(_urgent_action(audit_id, max(start, finish - timedelta(minutes=5)), team.manager))
        for a in actions:
            events.append({"at": a["created_at"], "actor": auditor, "entity": "action", "entity_id": a["id"],
                           "action": "add", "after": _action_dict(a, "open")})
        revision = 1 + steps + len(actions)
        doc_head = {"id": audit_id, "reference": reference, "template": {"id": row.template_id, "version": row.version},
                    "subject": {**subject, **(extra or {})}, "auditor": {"name": auditor, "role": role},
                    "started_at": iso(start)}
        programme = self._programme(kind, start)
        events[0]["after"]["programme"] = programme[1]
        submitted_actions = [_action_dict(a, "open") for a in actions]  # as submitted (closed ones fixed below)
        if complete:
            revision += 1
            doc = {**doc_head, "revision": revision, "status": "completed", "completed_at": iso(plan.completed_at),
                   "updated_at": iso(plan.completed_at), "programme": programme[1], "answers": answers,
                   "sections": {sid: {"grade": g} for sid, g in grades.items()},
                   "overall": {"grade": overall, "suggested": suggested, "rationale": rationale},
                   "summary": {k: summary.get(k) for k in SUMMARY_KEYS},
                   "actions": submitted_actions, "moderations": []}
            events.append({"at": plan.completed_at, "actor": auditor, "entity": "audit", "entity_id": audit_id,
                           "action": "submit", "before": {"status": "draft"}, "after": doc})
        status = "completed" if complete else "draft"
        final = overall
        for at in plan.moderated_at:
            m, sections = self._moderation(audit_id, at, t, overall, quality, auditor, grades)
            final = m["grade"] or final
            batch.moderations.append(m)
            batch.moderation_sections.extend(sections)
            if m["blind"]:  # the moderator's own judgements, recorded before they saw the auditor's
                own = {x["section_id"]: x["own_grade"] for x in sections if x["own_grade"]}
                events.append({"at": m["own_at"], "actor": m["moderator_name"], "entity": "blind_judgement",
                               "entity_id": new_uuid(self.rng), "action": "record", "before": None,
                               "after": {"moderator": {"name": m["moderator_name"],
                                                       "organisation": m["moderator_organisation"]},
                                         "kind": m["kind"], "own_grade": m["own_grade"], "sections": own,
                                         "at": iso(m["own_at"])}})
            events.append({"at": at, "actor": m["moderator_name"], "entity": "moderation", "entity_id": m["id"],
                           "action": "moderate", "before": {"status": status},
                           "after": _moderation_dict(m, sections)})
            status = "moderated"
        if plan.closed_at is not None:
            events.append({"at": plan.closed_at, "actor": auditor, "entity": "audit", "entity_id": audit_id,
                           "action": "close", "before": {"status": status}, "after": {"status": "closed"}})
            status = "closed"
        for a in actions:
            self._close_action(a, status, events, auditor)
            batch.actions.append(a)
        if complete:  # an action closed before the submit is closed in the document submitted, as in the window
            for i, a in enumerate(actions):
                if a["closed_at"] is not None and a["closed_at"] <= plan.completed_at:
                    submitted_actions[i] = _action_dict(a, a["status"])
        revision += len(events) - 1 - len(actions) - complete  # moderations, action updates and the close
        events.extend(work)
        events.sort(key=lambda e: e["at"])
        for e in events:
            e["audit_id"] = audit_id
        batch.history.extend(events)
        batch.audits.append({
            "id": audit_id, "reference": reference, "template_pk": row.pk, "status": status, "case_ref": case_ref,
            "case_type": case_type, "team": team.name, "practitioner": worker,
            "subject_extra": json.dumps(extra, ensure_ascii=False) if extra else None,
            "auditor_name": auditor, "auditor_role": role, "programme_pk": programme[0], "started_at": start,
            "completed_at": plan.completed_at if complete else None, "updated_at": max(finish, events[-1]["at"]),
            "revision": revision, "overall_grade": overall, "overall_suggested": suggested,
            "overall_score": choice_score(t.overall_choices(), overall),
            "final_grade": final, "final_score": choice_score(t.overall_choices(), final),
            "overall_rationale": rationale, **{k: summary.get(k) for k in SUMMARY_KEYS},
            "answered_count": len(ans.values), "origin": None,
        })
        self.counts[status] += 1
        self.counts["answers"] += len(ans.values)
        self.counts["actions"] += len(actions)
        self.counts["moderations"] += len(plan.moderated_at)

    def _judge(self, t: Template, ans: Answerer, state: AuditState, complete: bool, stop: float,
               quality: float) -> tuple[dict[str, str], str | None, str | None, str | None]:
        """Section judgements, the suggestion and the auditor's overall judgement (kept in ``state``)."""
        rng, today = self.rng, ans.today
        grades: dict[str, str] = {}
        for i, s in enumerate(t.sections):
            judged = complete or (i + 1 <= stop * len(t.sections) and rng.random() < 0.8)
            if s.grade_list and judged and section_relevant(s, ans.values, today):
                grade = ans.grade_for(t.lists[s.grade_list], ans.section_level(s.id))
                if grade:
                    grades[s.id] = grade
        suggested = suggest_overall(t, ans.values, grades, today)
        overall = rationale = None
        if complete or (stop > 0.9 and rng.random() < 0.5):
            overall, rationale = self._overall(t, suggested, quality)
        state.section_grades, state.overall_grade, state.overall_rationale = grades, overall, rationale
        return grades, suggested, overall, rationale

    def _programme(self, kind: str, start: datetime) -> tuple[int | None, str | None]:
        names = self.world.w["programmes"]
        if kind == "regular" and self.rng.random() < 0.85:
            return self.programmes["regular"], names["regular"]
        if kind == "thematic" and self.q3[0] <= start.date() <= self.q3[1]:
            return self.programmes["thematic"], names["thematic"]
        return None, None

    def _overall(self, t: Template, suggested: str | None, quality: float) -> tuple[str | None, str | None]:
        rng = self.rng
        choices = t.overall_choices()
        if suggested is None:
            scored = sorted((c for c in choices if c.score is not None), key=lambda c: c.score)  # type: ignore[arg-type,return-value]
            if not scored or rng.random() < 0.04:
                return rng.choice(choices).value, None
            return scored[round(clamp(quality + 0.12 + rng.gauss(0, 0.12)) * (len(scored) - 1))].value, None
        if rng.random() < 0.85:
            return suggested, None
        down = rng.random() < 0.5
        other = _step(choices, suggested, rng, down)
        if other is None or other == suggested:
            return suggested, None
        s_score = next(c.score for c in choices if c.value == suggested)
        o_score = next(c.score for c in choices if c.value == other)
        bank = self.world.w["rationale"]["higher" if o_score > s_score else "lower"]  # type: ignore[operator]
        return other, rng.choice(bank)

    def _action_count(self, quality: float, complete: bool) -> int:
        rng = self.rng
        if not complete:
            return 1 if rng.random() < 0.25 else 0
        if quality < 0.4:
            return rng.randint(1, 4)
        return rng.randint(0, 3) if quality < 0.65 else rng.randint(0, 2)

    def _action(self, audit_id: str, at: datetime, quality: float, worker: str, manager: str) -> dict[str, Any]:
        rng = self.rng
        text, serious = rng.choice(self.world.w["actions"])
        urgent = (serious and rng.random() < 0.4 + 0.4 * (1 - quality)) or rng.random() < 0.03
        due = at.date() + timedelta(days=rng.randint(3, 7) if urgent else rng.choice((14, 21, 28, 42)))
        return {"id": new_uuid(rng), "audit_id": audit_id, "text": text, "owner": worker if rng.random() < 0.6 else manager,
                "due": due, "status": "open", "urgent": urgent, "created_at": at, "closed_at": None,
                "closing_note": None,
                # An urgent action says who was told: the team manager, as it was recorded.
                "told_whom": f"{manager}, team manager" if urgent else None,
                "told_at": at if urgent else None}

    def _close_action(self, a: dict[str, Any], audit_status: str, events: list[dict[str, Any]], actor: str) -> None:
        rng, end = self.rng, self.end
        due_at = datetime.combine(a["due"], time(12), tzinfo=UTC)
        p_done = 0.9 if audit_status == "closed" else 0.75 if due_at < end else 0.2
        if rng.random() >= p_done:
            return
        latest = min(end - timedelta(hours=1), due_at + timedelta(days=21))
        if latest <= a["created_at"] + timedelta(hours=1):
            return
        at = a["created_at"] + (latest - a["created_at"]) * rng.uniform(0.2, 1.0)
        before = _action_dict(a, "open")
        # An urgent action is seen through: cancelling one would leave its concern unanswered.
        a["status"] = "cancelled" if rng.random() < 0.05 and not a["urgent"] else "done"
        a["closed_at"], a["closing_note"] = at, rng.choice(self.world.w["closing_notes"])
        events.append({"at": at, "actor": actor, "entity": "action", "entity_id": a["id"], "action": "update",
                       "before": {**before, "closing_note": None},
                       "after": {**_action_dict(a, a["status"]), "closing_note": a["closing_note"]}})

    def _moderation(self, audit_id: str, at: datetime, t: Template, overall: str | None, quality: float,
                    auditor: str, grades: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        rng, world = self.rng, self.world
        external = rng.random() < 0.25
        name, org = rng.choice(world.external) if external else (rng.choice(world.internal), world.council)
        if name == auditor:  # nobody moderates their own audit: the next QA colleague does (no extra draw)
            name = world.internal[(world.internal.index(name) + 1) % len(world.internal)]
        grade, agreed, rationale = overall, True, None
        lean = leaning(auditor)  # some auditors grade generously, some severely: moderation shows the drift
        if rng.random() < (0.15 if lean == "steady" else 0.42):
            towards = {"generous": 0.88, "severe": 0.12}.get(lean, 0.5)  # a steady auditor errs either way
            other = _step(t.overall_choices(), overall, rng, down=rng.random() < towards)
            if other is not None:
                scores = {c.value: c.score for c in t.overall_choices()}
                higher = (scores[other] or 0) > (scores[overall] or 0)  # type: ignore[index]
                grade, agreed = other, False
                rationale = rng.choice(world.w["moderation"]["higher" if higher else "lower"])
        mid = new_uuid(rng)
        blind = at >= BLIND_FROM
        own, sections, learning = grade, [], None
        if blind:
            # Judged blind: the moderator's own grade of each section, mostly the auditor's, leaning as the
            # overall does; now and then a moderator who judged otherwise comes round to the auditor's grade.
            rank = {c.value: c.score or 0.0 for c in t.overall_choices()}
            down = rank.get(grade or "", 0.0) < rank.get(overall or "", 0.0)
            for sid, theirs in sorted(grades.items()):
                section = t.section(sid)
                mine = theirs
                if section.grade_list and rng.random() < (0.35 if not agreed else 0.1):
                    mine = _step(t.list_choices(section.grade_list), theirs, rng,
                                 down=down if not agreed else rng.random() < 0.5) or theirs
                sections.append({"moderation_id": mid, "section_id": sid, "own_grade": mine, "auditor_grade": theirs})
            if agreed and rng.random() < 0.12:
                own = _step(t.overall_choices(), overall, rng, down=rng.random() < 0.5) or grade
            if not agreed or own != grade:
                learning = rng.choice(world.w["moderation"]["learning"])
        return ({"id": mid, "audit_id": audit_id, "moderator_name": name, "moderator_organisation": org,
                 "kind": "external" if external else "internal", "grade": grade, "agreed": agreed,
                 "rationale": rationale, "at": at, "blind": blind, "own_grade": own,
                 "own_at": at - timedelta(minutes=rng.randrange(20, 240)) if blind else at,
                 "learning_points": learning}, sections)


def leaning(auditor: str) -> str:
    """How an auditor of the demo grades against moderation: about one in five is generous (the moderator
    mostly grades lower), one in five severe (mostly higher), the rest steady. Fixed by the name alone."""
    x = random.Random(f"qadesk-demo-leaning/{auditor}").random()
    return "generous" if x < 0.2 else "severe" if x > 0.8 else "steady"


# ------------------------------------------------------------------------------------------
# Writing


def write_batch(session: Session, world: World, batch: Batch) -> None:
    """Insert the new cases and the batch's rows, and append its history entries to the chain."""
    if world.new_cases:
        session.execute(insert(cast(Table, Case.__table__)), world.new_cases)  # a mapped class's table is a Table
        world.new_cases = []
    for table, rows in ((Audit, batch.audits), (Answer, batch.answers), (SectionJudgement, batch.judgements),
                        (ActionItem, batch.actions), (Moderation, batch.moderations),
                        (ModerationSection, batch.moderation_sections)):
        if rows:
            session.execute(insert(cast(Table, table.__table__)), rows)
    history.record_many(session, batch.history)
