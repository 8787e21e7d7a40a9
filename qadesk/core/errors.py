"""The small, typed hierarchy of errors qadesk raises on purpose.

Everything the user can cause (a bad file, a refused answer, a missing
required question) is a :class:`QadeskError`; the CLI turns these into exit
code 1 with the message on stderr, the window into a dialog.  Anything else
that escapes is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class QadeskError(Exception):
    """Base of every error qadesk raises deliberately."""


@dataclass(frozen=True)
class Problem:
    """One located problem in an input: where it is and what is wrong."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ValidationError(QadeskError):
    """An input (template, pack, answer file) was refused; lists every problem."""

    def __init__(self, problems: list[Problem] | Problem | str, source: str = "") -> None:
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        self.source = source
        super().__init__(self.describe())

    def describe(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(prefix + str(p) for p in self.problems)


class LimitError(ValidationError):
    """An input broke a size or shape limit; the message names the limit."""


class NotFound(QadeskError):
    """A record asked for by id or reference does not exist."""


class Conflict(QadeskError):
    """The change clashes with what is stored (e.g. same template id and version, different content)."""


class WriteConflict(Conflict):
    """A change met another one made at the same moment, and nothing of it was saved; trying again is safe.

    Raised when the audit's revision moved between reading it and writing it (someone else's change
    came first), or when another writer kept the store busy for longer than qadesk waits.  The window
    tries the change again on the fresh audit; the command line says so and exits non-zero.
    """


class PermissionDenied(QadeskError):
    """The person may not do this: their roles do not allow it, or a rule about the audit forbids it
    (qadesk.core.permissions).  Nothing was changed; the message says who may.  ``rule`` names the rule
    when it was one of the table's rules about the audit (None when it was the table itself)."""

    def __init__(self, message: str, rule: str | None = None) -> None:
        self.rule = rule
        super().__init__(message)


class AnswerRefused(QadeskError):
    """An answer does not fit its question (type, range, constraint)."""

    def __init__(self, question_id: str, message: str) -> None:
        self.question_id = question_id
        self.message = message
        super().__init__(f"{question_id}: {message}")


@dataclass
class Missing:
    """Something that must be done before an audit can be submitted."""

    section_id: str | None
    question_id: str | None
    message: str
    key: str = field(default="")  # e.g. "overall.grade", "question.seen_alone"


class SubmitRefused(QadeskError):
    """Submit was refused; ``missing`` lists everything still to do, in form order."""

    def __init__(self, missing: list[Missing]) -> None:
        self.missing = missing
        lines = [m.message for m in missing]
        super().__init__("The audit cannot be submitted yet:\n" + "\n".join(f"- {x}" for x in lines))


class StateError(QadeskError):
    """The action does not fit the record's state (e.g. editing a completed audit)."""


class NotDraft(StateError):
    """The audit is no longer a draft (submitted, moderated or closed), so its answers cannot change.

    The window hands the auditor what it could not save (``Your last changes were not saved``)."""


class StoreLocked(QadeskError):
    """Another copy of qadesk is using the store."""


class WrongPassphrase(QadeskError):
    """The passphrase does not open the encrypted store (or none was given for one)."""
