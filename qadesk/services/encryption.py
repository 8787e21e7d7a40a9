"""What the person chose about encryption when the store was made, kept with the store.

The first-run question ("Encrypt" or "Continue without encryption") is recorded so that Your profile
can say later that the store is plain because someone chose so, and when. Whether the store *is*
encrypted is never read from here: that is the file's (``Store.encrypted``, ``crypto.is_encrypted``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from qadesk.store.models import Setting

FIRST_RUN_CHOICE_KEY = "encryption.first_run_choice"


@dataclass(frozen=True)
class FirstRunChoice:
    encrypted: bool  # True: "Encrypt"; False: "Continue without encryption"
    at: datetime


def record_first_run_choice(session: Session, *, encrypted: bool, at: datetime | None = None) -> FirstRunChoice:
    """Keep the first-run choice (replacing one kept before)."""
    choice = FirstRunChoice(encrypted=encrypted, at=at or datetime.now(timezone.utc))
    value = json.dumps({"choice": "encrypt" if encrypted else "continue_without_encryption",
                        "at": choice.at.isoformat()})
    row = session.get(Setting, FIRST_RUN_CHOICE_KEY)
    if row is None:
        session.add(Setting(key=FIRST_RUN_CHOICE_KEY, value=value))
    else:
        row.value = value
    return choice


def first_run_choice(session: Session) -> FirstRunChoice | None:
    """The choice made when this store was created; None for a store made before it was asked (or by the CLI)."""
    row = session.get(Setting, FIRST_RUN_CHOICE_KEY)
    if row is None:
        return None
    data = json.loads(row.value)
    return FirstRunChoice(encrypted=data["choice"] == "encrypt", at=datetime.fromisoformat(data["at"]))
