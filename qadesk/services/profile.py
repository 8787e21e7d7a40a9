"""The user's profile (name, role, team, organisation), kept with the data it signs."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from qadesk.store.models import Setting

PROFILE_KEY = "profile"


@dataclass
class Profile:
    name: str
    role: str | None = None
    team: str | None = None
    organisation: str | None = None

    @property
    def is_set(self) -> bool:
        return bool(self.name.strip())


def get_profile(session: Session) -> Profile | None:
    """The profile saved in this store; None if nobody has set one."""
    row = session.get(Setting, PROFILE_KEY)
    if row is None:
        return None
    data = json.loads(row.value)
    return Profile(**{k: data.get(k) for k in ("name", "role", "team", "organisation")})


def set_profile(session: Session, profile: Profile) -> None:
    """Save the profile in this store (replacing any before)."""
    row = session.get(Setting, PROFILE_KEY)
    value = json.dumps(asdict(profile), ensure_ascii=False)
    if row is None:
        session.add(Setting(key=PROFILE_KEY, value=value))
    else:
        row.value = value


def current_actor_name(session: Session) -> str:
    """Who is making changes: the profile's name, else the computer's login name."""
    profile = get_profile(session)
    if profile and profile.is_set:
        return profile.name
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on some systems; history still needs a name
        return "unknown user"
