"""The user's profile (name, role, team, organisation), kept with the data it signs."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from qadesk.store.models import Person, Setting

PROFILE_KEY = "profile"


@dataclass
class Profile:
    name: str
    role: str | None = None
    team: str | None = None
    organisation: str | None = None
    # What the person does in qadesk (qadesk.core.permissions.Role ids).  None on a single person's desk:
    # every role is theirs.  ``role`` above is the job title ("Team manager"), shown on reports.
    roles: list[str] | None = None

    @property
    def is_set(self) -> bool:
        return bool(self.name.strip())


def server_login(session: Session) -> str | None:
    """The database login this session works as, on a database server (None for the laptop's store)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return str(session.execute(text("SELECT current_user")).scalar_one())


def profile_key(session: Session) -> str:
    """Where this person's profile is kept: the laptop store has one person; on a database server each
    login (a person's own role there) has a profile of its own, so one person's first run never writes
    over another's."""
    login = server_login(session)
    return PROFILE_KEY if login is None else f"{PROFILE_KEY}@{login}"[:100]


def get_profile(session: Session) -> Profile | None:
    """The profile saved in this store; None if nobody has set one."""
    row = session.get(Setting, profile_key(session))
    if row is None:
        return None
    data = json.loads(row.value)
    return Profile(**{k: data.get(k) for k in ("name", "role", "team", "organisation", "roles")})


def set_profile(session: Session, profile: Profile) -> None:
    """Save the profile in this store (replacing any before), on a server this login's own."""
    key = profile_key(session)
    row = session.get(Setting, key)
    value = json.dumps(asdict(profile), ensure_ascii=False)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
    session.info.pop("qadesk.me", None)  # the person's roles are read again (services.permissions)


def roles_from_server(session: Session) -> bool:
    """Whether this laptop syncs with a team server, and so keeps to the roles the server gives its person
    (set at checkout; the profile's roles are then not the laptop's to change)."""
    return session.get(Setting, "sync.server") is not None and bool((get_profile(session) or Profile("")).roles)


def current_actor_name(session: Session) -> str:
    """Who is making changes: on a server the person the login is (the people list), else the profile's
    name, else the database login on a server, else the computer's login name."""
    login = server_login(session)
    if login:
        named = session.execute(select(Person.name).where(Person.login == login)).scalar()
        if named:
            return str(named)
    profile = get_profile(session)
    if profile and profile.is_set:
        return profile.name
    if login:  # on a database server, the person is the database login
        return login
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on some systems; history still needs a name
        return "unknown user"
