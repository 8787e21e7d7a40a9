"""Who may do what: the roles of a QA team and the one table of what each role may do.

The table is the only place these rules are written.  The services enforce it
(:mod:`qadesk.services.permissions`: every use case that changes or reveals
something asks before it acts); the window and the command line only ask it
too, to grey out what the person may not do and say why.  On the team server
the same table is backed by the database's own grants and row-level security
(:mod:`qadesk.store.server_roles`), so a person cannot step round it with
another program.

Besides the table there are four rules that depend on the audit, not only on
the role (:data:`RULES`): a moderator never moderates their own audit; a
practitioner sees only audits of their own work; a practitioner's only change
is their response (the reflection box) to an audit of their work; an auditor
changes only the audits they are the auditor of, unless they also lead the QA
work (a QA lead or the Principal Social Worker).

Pure: no storage, no Qt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """A person's part in the QA team (several may be held at once)."""

    AUDITOR = "auditor"
    MODERATOR = "moderator"
    QA_LEAD = "qa_lead"
    PSW = "psw"
    PRACTITIONER = "practitioner"
    ADMINISTRATOR = "administrator"


ROLE_WORDS: dict[Role, str] = {
    Role.AUDITOR: "Auditor",
    Role.MODERATOR: "Moderator",
    Role.QA_LEAD: "QA lead",
    Role.PSW: "Principal Social Worker",
    Role.PRACTITIONER: "Practitioner",
    Role.ADMINISTRATOR: "Administrator",
}

ROLE_HELP: dict[Role, str] = {
    Role.AUDITOR: "audits cases: starts, answers, grades and submits audits, and sets actions",
    Role.MODERATOR: "moderates completed audits of other people's, blind where the service asks it",
    Role.QA_LEAD: "owns the framework: imports and retires templates, plans programmes, samples and allocates",
    Role.PSW: "oversees practice quality: reads every audit, moderates, runs calibration and reports",
    Role.PRACTITIONER: "the social worker audited: reads the audits of their own work and responds",
    Role.ADMINISTRATOR: "looks after the store: people and their roles, moving laptops onto the server",
}


class Do(StrEnum):
    """Something a person may be allowed to do; the value is how a refusal names it."""

    READ_AUDITS = "read every audit"
    READ_OWN_WORK = "read the audits of your own work"
    START_AUDIT = "start audits"
    EDIT_AUDIT = "answer, grade and submit audits"
    RESPOND = "add the practitioner's response"
    REOPEN_AUDIT = "reopen completed audits"
    SET_ACTIONS = "set and update actions"
    MODERATE = "moderate audits"
    MODERATION_RULES = "set the moderation rules and draw moderation samples"
    IMPORT_TEMPLATES = "import templates"
    RETIRE_TEMPLATES = "retire templates"
    PLAN_PROGRAMMES = "plan programmes, sample and allocate cases"
    IMPORT_CASES = "import the case list"
    RUN_CALIBRATION = "run calibration exercises"
    RATE_CALIBRATION = "grade calibration exercises"
    EXPORT = "export packs and reports"
    IMPORT_PACKS = "import packs"
    SYNC = "take audits away on a laptop and sync them"
    MANAGE_PEOPLE = "add people and give them roles"
    TAKE_IN = "take laptops' stores into the team server"


A, M, Q, P, PR, AD = (Role.AUDITOR, Role.MODERATOR, Role.QA_LEAD, Role.PSW, Role.PRACTITIONER,
                      Role.ADMINISTRATOR)

# The table: for each thing, the roles that may do it.  Read across a row for "who may do this", down a
# column (ALLOWED_FOR) for "what may this role do".  docs/roles.md prints the same table.
TABLE: dict[Do, frozenset[Role]] = {
    Do.READ_AUDITS: frozenset({A, M, Q, P, AD}),
    Do.READ_OWN_WORK: frozenset({A, M, Q, P, PR, AD}),
    Do.START_AUDIT: frozenset({A, Q, P}),
    Do.EDIT_AUDIT: frozenset({A, Q, P}),
    Do.RESPOND: frozenset({A, Q, P, PR}),
    Do.REOPEN_AUDIT: frozenset({A, Q, P}),
    Do.SET_ACTIONS: frozenset({A, M, Q, P}),
    Do.MODERATE: frozenset({M, Q, P}),
    Do.MODERATION_RULES: frozenset({Q, P}),
    Do.IMPORT_TEMPLATES: frozenset({Q}),
    Do.RETIRE_TEMPLATES: frozenset({Q}),
    Do.PLAN_PROGRAMMES: frozenset({Q}),
    Do.IMPORT_CASES: frozenset({Q}),
    Do.RUN_CALIBRATION: frozenset({Q, P}),
    Do.RATE_CALIBRATION: frozenset({A, M, Q, P}),
    Do.EXPORT: frozenset({A, M, Q, P}),
    Do.IMPORT_PACKS: frozenset({A, M, Q, P}),
    Do.SYNC: frozenset({A, M, Q, P}),
    Do.MANAGE_PEOPLE: frozenset({AD}),
    Do.TAKE_IN: frozenset({AD}),
}

ALLOWED_FOR: dict[Role, frozenset[Do]] = {r: frozenset(d for d, roles in TABLE.items() if r in roles) for r in Role}

# The roles that change any audit, not only their own (the rule "auditor: own audits").
LEADS = frozenset({Q, P})


@dataclass(frozen=True)
class Rule:
    """A rule that depends on the audit as well as the role: its name (for tests and docs) and words."""

    name: str
    words: str


MODERATOR_NOT_OWN = Rule("moderator-not-own-audit", "a moderator never moderates an audit they completed")
PRACTITIONER_OWN_WORK = Rule("practitioner-own-work", "a practitioner sees only the audits of their own work")
PRACTITIONER_RESPONDS_ONLY = Rule("practitioner-responds-only",
                                  "a practitioner's only change to an audit is their response")
AUDITOR_OWN_AUDITS = Rule("auditor-own-audits",
                          "an auditor changes only the audits they are the auditor of (a QA lead or the "
                          "Principal Social Worker changes any)")
RULES = (MODERATOR_NOT_OWN, PRACTITIONER_OWN_WORK, PRACTITIONER_RESPONDS_ONLY, AUDITOR_OWN_AUDITS)


def parse_role(text: str) -> Role:
    """A role from its id or its words, any case ("qa_lead", "QA lead", "PSW"); ValueError if none."""
    key = " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()
    for role in Role:
        if key in (role.value.replace("_", " "), ROLE_WORDS[role].casefold()):
            return role
    if key == "psw":
        return Role.PSW
    if key in ("admin",):
        return Role.ADMINISTRATOR
    raise ValueError(f"'{text}' is not a role: say one of " + ", ".join(r.value for r in Role))


def parse_roles(text: str | Iterable[str] | None) -> frozenset[Role]:
    """Roles from a comma-separated text or a list; ValueError names the first that is not a role."""
    items = text.split(",") if isinstance(text, str) else list(text or ())
    return frozenset(parse_role(i) for i in items if i.strip())


def roles_text(roles: Iterable[Role]) -> str:
    """The roles as stored: their ids in the table's order, comma-separated."""
    held = set(roles)
    return ",".join(r.value for r in Role if r in held)


def roles_words(roles: Iterable[Role]) -> str:
    """The roles in words, e.g. "Auditor and Moderator"."""
    held = [ROLE_WORDS[r] for r in Role if r in set(roles)]
    if not held:
        return "no role"
    return held[0] if len(held) == 1 else ", ".join(held[:-1]) + " and " + held[-1]


def may(roles: Iterable[Role], what: Do) -> bool:
    """Whether someone holding these roles may do this (by the table alone)."""
    return bool(TABLE[what] & set(roles))


def who_may(what: Do) -> str:
    """The roles that may do this, in words."""
    return roles_words(TABLE[what])


def is_lead(roles: Iterable[Role]) -> bool:
    """Whether these roles change any audit (the QA lead, the PSW), not only the person's own."""
    return bool(LEADS & set(roles))


def only_own_work(roles: Iterable[Role]) -> bool:
    """Whether these roles see only audits of the person's own work (a practitioner and nothing more)."""
    return not may(roles, Do.READ_AUDITS) and may(roles, Do.READ_OWN_WORK)
