"""Who the person at this store is, and the permissions table (qadesk.core.permissions) enforced.

On a laptop's store the person is the profile: its name, and the roles it holds.  A profile that names no
roles is one person's own desk, and every role is theirs (a laptop that checks out from a team server takes
the person's roles from the server, and keeps to them).  On a team server the person is the database
login: their name from the people list (``people.login``), their roles the ``qadesk_*`` group roles the login
is a member of (store/server_roles.py), which the database enforces with its grants and row-level security
as well; the server's owner (or a superuser) holds every role.

Every use case that changes or reveals something calls :func:`require` (or one of the audit checks) before
it acts, and a refusal is :class:`~qadesk.core.errors.PermissionDenied` with the reason in words.  The window
and the command line ask :func:`allowed` / :func:`why_not` only to grey out and explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session

from qadesk.core import permissions as perm
from qadesk.core.errors import PermissionDenied
from qadesk.core.permissions import Do, Role
from qadesk.services.profile import current_actor_name, get_profile, server_login
from qadesk.store import server_roles
from qadesk.store.models import Audit

_ME = "qadesk.me"
Q = TypeVar("Q")  # a query (Select) over audits, of whatever columns


@dataclass(frozen=True)
class Me:
    """The person working at this store now."""

    name: str
    roles: frozenset[Role]
    login: str | None = None  # the database login, on a team server
    desk: bool = False  # one person's desk (no roles set, so every role), or the server's owner

    @property
    def words(self) -> str:
        return "every role (this is their own desk)" if self.desk else perm.roles_words(self.roles)

    def may(self, what: Do) -> bool:
        return perm.may(self.roles, what)

    @property
    def only_own_work(self) -> bool:
        return perm.only_own_work(self.roles)

    @property
    def is_lead(self) -> bool:
        return perm.is_lead(self.roles)


EVERY_ROLE = frozenset(Role) - {Role.PRACTITIONER}  # a desk's person: the practitioner's limits are not theirs


def me(session: Session) -> Me:
    """The person at this store (read once a session; saving the profile reads it again)."""
    found = session.info.get(_ME)
    if found is None:
        found = _server_person(session) if session.get_bind().dialect.name == "postgresql" else _desk_person(session)
        session.info[_ME] = found
    return found


def forget(session: Session) -> None:
    """Read the person again on the next question (after a change of profile or of roles)."""
    session.info.pop(_ME, None)


def _desk_person(session: Session) -> Me:
    profile = get_profile(session)
    name = current_actor_name(session)
    if profile is None or not profile.roles:
        return Me(name, EVERY_ROLE, desk=True)
    try:
        roles = perm.parse_roles(profile.roles)
    except ValueError:  # a profile written by a newer qadesk with a role this one does not know
        roles = frozenset(r for r in Role if r.value in set(profile.roles))
    return Me(name, roles)


def _server_person(session: Session) -> Me:
    login = server_login(session) or ""
    name = current_actor_name(session)
    row = session.execute(text(
        "SELECT r.rolsuper OR d.datdba = r.oid AS owner FROM pg_roles r, pg_database d "
        "WHERE r.rolname = current_user AND d.datname = current_database()")).first()
    if row is not None and row.owner:
        return Me(name, EVERY_ROLE, login=login, desk=True)
    held = session.execute(text(
        "SELECT rolname FROM pg_roles WHERE rolname LIKE 'qadesk\\_%' AND pg_has_role(current_user, oid, 'MEMBER')"
    )).scalars()
    names = {str(n)[len(server_roles.PREFIX):] for n in held}
    return Me(name, frozenset(r for r in Role if r.value in names), login=login)


def allowed(session: Session, what: Do) -> bool:
    """Whether the person here may do this (the table alone; the audit rules are asked with the audit)."""
    return me(session).may(what)


def why_not(session: Session, what: Do) -> str | None:
    """None if the person may do this; else the reason, in words for a tooltip or a refusal."""
    person = me(session)
    if person.may(what):
        return None
    return (f"{person.name} ({person.words}) may not {what.value}: that is for "
            f"{_article(perm.who_may(what))}.")


def _article(words: str) -> str:
    return ("an " if words[:1] in "AEIOU" else "a ") + words


def require(session: Session, what: Do) -> Me:
    """The person here, if they may do this; :class:`PermissionDenied` saying why if not."""
    reason = why_not(session, what)
    if reason is not None:
        raise PermissionDenied(reason, rule=None)
    return me(session)


def _same(a: str | None, b: str | None) -> bool:
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold() != ""


def can_see(session: Session, audit: Any) -> bool:
    """Whether the person here may read this audit (a practitioner only those of their own work)."""
    person = me(session)
    if person.may(Do.READ_AUDITS):
        return True
    return person.may(Do.READ_OWN_WORK) and _same(getattr(audit, "practitioner", None), person.name)


def visible(session: Session, query: Q) -> Q:
    """``query`` over audits, narrowed to the audits the person may see (a practitioner: their own work)."""
    person = me(session)
    if person.may(Do.READ_AUDITS):
        return query
    narrowed: Any = query
    if not person.may(Do.READ_OWN_WORK):
        return narrowed.where(Audit.id.is_(None))  # type: ignore[no-any-return]
    return narrowed.where(Audit.practitioner == person.name)  # type: ignore[no-any-return]


def require_change(session: Session, audit: Any, what: Do = Do.EDIT_AUDIT) -> Me:
    """The person here, if they may make this change to this audit; :class:`PermissionDenied` if not.

    Beyond the table: a practitioner's only change is their response, to an audit of their own work; an
    auditor (not also a QA lead or the PSW) changes only the audits they are the auditor of."""
    person = me(session)
    if what is Do.RESPOND and person.only_own_work:
        if not _same(audit.practitioner, person.name):
            raise PermissionDenied(f"{person.name} may respond only to audits of their own work: "
                                   f"{perm.PRACTITIONER_OWN_WORK.words}.", rule=perm.PRACTITIONER_OWN_WORK.name)
        return person
    if not person.may(what):
        if person.only_own_work and what is not Do.RESPOND:
            raise PermissionDenied(f"{person.name} may not {what.value}: {perm.PRACTITIONER_RESPONDS_ONLY.words}.",
                                   rule=perm.PRACTITIONER_RESPONDS_ONLY.name)
        require(session, what)
    if person.is_lead or person.desk:
        return person
    if what is Do.SET_ACTIONS and person.may(Do.MODERATE):
        return person  # a moderator sets actions on the audits they moderate
    if not _same(audit.auditor_name, person.name):
        raise PermissionDenied(f"{person.name} may not change {audit.reference}, which is "
                               f"{audit.auditor_name or 'nobody'}'s audit: {perm.AUDITOR_OWN_AUDITS.words}.",
                               rule=perm.AUDITOR_OWN_AUDITS.name)
    return person


def change_refusal(session: Session, audit: Any, what: Do = Do.EDIT_AUDIT) -> str | None:
    """None if the person here may make this change to this audit; else why not (for a read-only form)."""
    try:
        require_change(session, audit, what)
    except PermissionDenied as exc:
        return str(exc)
    return None


def require_start(session: Session, auditor: str | None) -> Me:
    """The person here, if they may start an audit whose auditor is ``auditor``: an auditor starts their
    own; a QA lead or the PSW (or allocation, which a QA lead confirms) starts anyone's."""
    person = require(session, Do.START_AUDIT)
    if person.is_lead or person.desk or _same(auditor, person.name):
        return person
    raise PermissionDenied(f"{person.name} may not start an audit for {auditor or 'nobody'}: "
                           f"{perm.AUDITOR_OWN_AUDITS.words}.", rule=perm.AUDITOR_OWN_AUDITS.name)
