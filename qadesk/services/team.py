"""The people of the QA team: who they are (name, job title, team, organisation), what they do in qadesk
(their roles), and on a team server which database login is each of them.

Adding a person or changing their roles is the administrator's (qadesk.core.permissions).  On a team server
a person's roles are the login's membership of the ``qadesk_*`` group roles (store/server_roles.py), which
the database enforces; the people list keeps the same roles beside the name, for the window and for a
laptop's store, where no database login exists.  Every change is in the history.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core import permissions as perm
from qadesk.core.errors import Conflict, StateError, ValidationError
from qadesk.core.permissions import Do, Role
from qadesk.services import permissions
from qadesk.store import history
from qadesk.store.models import Person

LOGIN = re.compile(r"^[a-z_][a-z0-9_.\-]{0,62}$")  # a PostgreSQL role name qadesk makes without surprises


@dataclass(frozen=True)
class TeamMember:
    name: str
    roles: frozenset[Role]
    job_title: str | None
    team: str | None
    organisation: str
    login: str | None

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "roles": [r.value for r in Role if r in self.roles], "job_title": self.job_title,
                "team": self.team, "organisation": self.organisation, "login": self.login}


def _member(row: Person) -> TeamMember:
    try:
        roles = perm.parse_roles(row.roles)
    except ValueError:
        roles = frozenset()
    return TeamMember(row.name, roles, row.role, row.team, row.organisation or "", row.login)


def list_team(session: Session) -> list[TeamMember]:
    """Everyone on the people list, by name."""
    return [_member(r) for r in session.execute(select(Person).order_by(Person.name, Person.organisation)).scalars()]


def _clean(value: str | None, what: str, *, required: bool = False) -> str | None:
    text = " ".join((value or "").split())
    if required and not text:
        raise ValidationError(f"say the person's {what}")
    if len(text) > 200:
        raise ValidationError(f"the {what} is longer than 200 characters")
    return text or None


def check_login(login: str) -> str:
    """A login name as the server will know it; refused unless it is plain (lower-case letters, digits, _ . -)."""
    if not LOGIN.match(login or ""):
        raise ValidationError(f"'{login}' is not a login qadesk makes: lower-case letters, digits, _ . or -, "
                              "starting with a letter, at most 63")
    if login.startswith("qadesk_") or login.startswith("pg_"):
        raise ValidationError(f"'{login}' is a name kept for the server's own roles")
    return login


def add_or_update(session: Session, name: str, roles: Iterable[Role], *, actor: str, team: str | None = None,
                  organisation: str | None = None, job_title: str | None = None,
                  login: str | None = None) -> TeamMember:
    """Put a person on the people list, or change their roles, team, job title or login (by name and
    organisation, or by login); recorded in the history."""
    permissions.require(session, Do.MANAGE_PEOPLE)
    name = _clean(name, "name", required=True) or ""
    org = _clean(organisation, "organisation") or ""
    held = frozenset(roles)
    if not held:
        raise ValidationError(f"say at least one role for {name} ({', '.join(r.value for r in Role)})")
    if login is not None:
        login = check_login(login)
    row = None
    if login:
        row = session.execute(select(Person).where(Person.login == login)).scalar_one_or_none()
    if row is None:
        row = session.execute(select(Person).where(Person.name == name, Person.organisation == org)).scalar_one_or_none()
    if row is not None and login and row.login and row.login != login:
        raise Conflict(f"{name} is on the people list with the login {row.login}, not {login}")
    before = _member(row).as_dict() if row is not None else None
    if row is None:
        row = Person(name=name, organisation=org)
        session.add(row)
    row.name, row.organisation = name, org
    row.roles = perm.roles_text(held)
    row.team = _clean(team, "team") if team is not None else row.team
    row.role = _clean(job_title, "job title") if job_title is not None else row.role
    if login:
        row.login = login
    session.flush()
    after = _member(row).as_dict()
    if before != after:
        history.record(session, actor=actor, entity="person", entity_id=name, action="update" if before else "add",
                       before=before, after=after)
    permissions.forget(session)
    return _member(row)


def give_login(session: Session, login: str, roles: Iterable[Role], *, password: str | None = None) -> None:
    """On a team server: create the person's login (if missing) and make its qadesk group roles ``roles``.
    Needs a login that may create roles (the database's owner with CREATEROLE)."""
    from qadesk.store import server_roles

    permissions.require(session, Do.MANAGE_PEOPLE)
    if session.get_bind().dialect.name != "postgresql":
        raise StateError("logins are the team server's: this store is a laptop's (its person is the profile)")
    conn = session.connection()
    if not server_roles.groups_exist(conn):
        raise StateError("this server has no qadesk roles yet: run qadesk server setup-roles first")
    server_roles.add_login(conn, check_login(login), roles, password=password)
