"""Realistic made-up data: a council, its teams, cases and a year and a half of audits.

Used by ``qadesk demo-data``, the window's ``--demo`` and the benchmarks.
Everything is invented (the council, its neighbours, the people, the case
references) and follows from ``(seed, anchor)`` alone: the same arguments on
an empty store give identical audits, ids and timestamps included.

Audits are written the fast way (SQLAlchemy Core ``executemany``, one
transaction per batch of :data:`BATCH` audits) but hold what the services
would have stored: answers checked with :func:`~qadesk.core.audit.coerce_answer`
and the template's relevance, requirements and constraints; the answer score,
``answered_count``, the suggested overall grade, the revision count and the
``AUD-YYYY-NNNN`` reference sequence all as the services compute them.  The
history gets the life-cycle entries of each audit (start, action added,
submit with the whole document, moderation, action closed, close) in one
hash chain; the demo does not replay one entry per answer typed.

Cancelling stops between batches: the batches already written stay (each is
complete and consistent on its own), nothing of the current batch is kept.

The council lives in :mod:`qadesk.services.demo_world`, the audits are
built and written by :mod:`qadesk.services.demo_audits`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date
from typing import cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from qadesk.core.errors import QadeskError
from qadesk.core.template import Template
from qadesk.services.demo_audits import AuditMaker, Batch, write_batch
from qadesk.services.demo_world import World, add_programmes, install_templates, last_q3, schedule_audits
from qadesk.store.engine import Store
from qadesk.store.models import Audit, Person, TemplateVersion

BATCH = 2000  # audits per transaction


def _setup(session: Session, rng: random.Random, anchor: date, q3: tuple[date, date]) -> tuple[
        World, dict[str, tuple[TemplateVersion, Template]], dict[str, int]]:
    templates = install_templates(session)
    world = World(rng, session, anchor)
    known = {(name, org) for name, org in session.execute(select(Person.name, Person.organisation))}
    people = [p for p in world.people if (p["name"], p["organisation"]) not in known]
    if people:
        session.execute(insert(cast(Table, Person.__table__)), people)  # a mapped class's table is a Table
    return world, templates, add_programmes(session, anchor, q3)


def generate(store: Store, *, audits: int, seed: int = 1, anchor: date | None = None,
             progress: Callable[[int, int], None] | None = None,
             cancel: Callable[[], bool] | None = None) -> str:
    """Fill the store with ``audits`` made-up audits over the 18 months before ``anchor`` (default today).

    Imports the shipped templates first if they are missing.  Deterministic
    for (seed, anchor, the audits already in the store).  ``progress(done,
    total)`` is called after every batch; ``cancel()`` is asked between
    batches, and a cancelled run keeps the batches already written.  Returns
    a one-line summary.
    """
    if audits < 0:
        raise QadeskError("the number of audits cannot be negative")
    anchor = anchor or date.today()
    q3 = last_q3(anchor)
    with store.transaction() as session:
        existing = int(session.execute(select(func.count(Audit.id))).scalar() or 0)
        # Mixing in the audits already stored keeps a second run from reusing the first run's ids.
        rng = random.Random(f"qadesk-demo/{seed}/{existing}")
        world, templates, programmes = _setup(session, rng, anchor, q3)
    schedule = schedule_audits(rng, audits, sorted(templates), anchor, q3)
    maker = AuditMaker(rng, world, templates, programmes, anchor, q3)
    done = 0
    if progress:
        progress(0, audits)
    cancelled = False
    while done < audits:
        if cancel is not None and cancel():
            cancelled = True
            break
        batch = Batch()
        with store.transaction() as session:
            for start, kind in schedule[done:done + BATCH]:
                maker.make(session, start, kind, batch)
            write_batch(session, world, batch)
        done = min(audits, done + BATCH)
        if progress:
            progress(done, audits)
    c = maker.counts
    head = (f"Cancelled after {done:,} of {audits:,} demo audits (the batches written are kept)" if cancelled
            else f"Made {done:,} demo audits (seed {seed}, the 18 months to {anchor.day} {anchor:%b %Y})")
    return (f"{head}: {c['draft']:,} draft, {c['completed']:,} completed, {c['moderated']:,} moderated, "
            f"{c['closed']:,} closed; {c['answers']:,} answers, {c['actions']:,} actions, "
            f"{c['moderations']:,} moderations.")
