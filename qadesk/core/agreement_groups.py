"""Agreement and drift per group: by auditor, moderator, team, template, section or quarter.

The services hand over plain rows, one per moderated judgement (an audit's overall grade, or one
section's), as dicts, named tuples, SQLAlchemy result rows or any object with the fields as
attributes. Each row carries the auditor's grade index and the moderated grade index (see
:mod:`qadesk.core.agreement`) and whatever the grouping needs. A key is a field name, a tuple
position, or a function of the row::

    by_auditor = agreement_by(rows, "auditor", k=4)
    by_quarter = agreement_by(rows, lambda row: quarter_of(row["moderated_on"]), k=4)

Every group comes back with its n, so a screen shows "n = 4: too few to judge" where it must. All
rows of one call are on one grade scale of k grades; rows on different scales (a three-point and a
four-point template) are grouped by scale first, since their indices mean different things.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qadesk.core.agreement import PairAgreement, pair_agreement
from qadesk.core.agreement_drift import Drift, drift
from qadesk.core.dates import quarter_of  # noqa: F401 - the quarter groups are named by

Key = str | int | Callable[[Any], Hashable]
AUDITOR_GRADE = "auditor_grade"
MODERATED_GRADE = "moderated_grade"


@dataclass(frozen=True)
class GroupAgreement:
    """The agreement figures of one group of pairs (its n is ``agreement.n``)."""

    key: Hashable
    agreement: PairAgreement

    @property
    def n(self) -> int:
        return self.agreement.n


@dataclass(frozen=True)
class GroupDrift:
    """The drift of one group of pairs (usually one auditor)."""

    key: Hashable
    drift: Drift

    @property
    def n(self) -> int:
        return self.drift.n


def field_of(row: Any, key: Key) -> Any:
    """The value of ``key`` in ``row``: a function's result, a mapping's item, a tuple's item or an attribute."""
    if callable(key):
        return key(row)
    if isinstance(key, int):
        return row[key]
    if isinstance(row, Mapping):
        return row[key]
    return getattr(row, key)  # a named tuple, a dataclass, a SQLAlchemy result row


def group_pairs(rows: Iterable[Any], key: Key, auditor: Key = AUDITOR_GRADE,
                moderated: Key = MODERATED_GRADE) -> dict[Hashable, list[tuple[int, int]]]:
    """The (auditor's grade, moderated grade) pairs of each group, groups in the order first seen."""
    groups: dict[Hashable, list[tuple[int, int]]] = {}
    for row in rows:
        groups.setdefault(field_of(row, key), []).append((field_of(row, auditor), field_of(row, moderated)))
    return groups


def agreement_by(rows: Iterable[Any], key: Key, k: int, auditor: Key = AUDITOR_GRADE,
                 moderated: Key = MODERATED_GRADE) -> list[GroupAgreement]:
    """:func:`~qadesk.core.agreement.pair_agreement` for each group, in the order of their keys (None last)."""
    found = [GroupAgreement(name, pair_agreement(pairs, k))
             for name, pairs in group_pairs(rows, key, auditor, moderated).items()]
    return sorted(found, key=lambda g: _order(g.key))


def drift_by(rows: Iterable[Any], key: Key = "auditor", auditor: Key = AUDITOR_GRADE,
             moderated: Key = MODERATED_GRADE) -> list[GroupDrift]:
    """:func:`~qadesk.core.agreement_drift.drift` for each group (each auditor by default), in key order."""
    found = [GroupDrift(name, drift(pairs)) for name, pairs in group_pairs(rows, key, auditor, moderated).items()]
    return sorted(found, key=lambda g: _order(g.key))


def _order(key: Hashable) -> tuple[bool, str]:
    # Keys may be names, quarters, ids or None ("no team"): ordered as text, with None last.
    return key is None, "" if key is None else str(key)
