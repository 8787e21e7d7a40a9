"""``qadesk sync ...`` and ``qadesk conflicts ...``: a laptop that works offline and syncs with the team
server (docs/sync.md), and the conflicts a sync or a pack import keeps for a person to resolve.

The laptop's store is this data folder's (its own SQLite file, encrypted when it has a passphrase);
the server is ``--server URL`` (a PostgreSQL URL; the password from ``~/.pgpass`` or ``PGPASSWORD``,
never kept), remembered at checkout without its password.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qadesk.cli_support import EXIT_OK, EXIT_REFUSED, UsageError, _actor, _print_json, _store
from qadesk.core.errors import StateError

EXIT_CONFLICTS = 3  # the sync ran, and conflicts wait for a person (qadesk conflicts list)


def cmd_sync(args: argparse.Namespace) -> int:
    return {"checkout": _checkout, "run": _run, "status": _status}[args.action or "run"](args)


def _server(args: argparse.Namespace, laptop: Any) -> Any:
    from qadesk.services import sync
    from qadesk.store import open_store

    url = getattr(args, "server", None)
    if not url:
        with laptop.session() as s:
            row = sync._setting(s, sync.SERVER_KEY)
        if not row:
            raise StateError("this laptop has not checked out from a team server yet: "
                             "qadesk sync checkout --server URL --person NAME")
        url = row
    if not url.startswith("postgresql"):
        raise UsageError("--server is the team server's PostgreSQL URL, e.g. postgresql+psycopg://login@host/qadesk")
    return open_store(url=url)


def _laptop(args: argparse.Namespace) -> Any:
    import os

    if os.environ.get("QADESK_DATABASE_URL"):
        raise StateError("a laptop syncs its own store with the team server; QADESK_DATABASE_URL points this copy "
                         "of qadesk at a server already (unset it on the laptop)")
    return _store(args)


def _print_result(result: Any, verb: str) -> int:
    print(f"{verb}:")
    for line in result.lines():
        print(line)
    return EXIT_CONFLICTS if result.open_conflicts else EXIT_OK


def _checkout(args: argparse.Namespace) -> int:
    from qadesk.services import sync

    laptop = _laptop(args)
    server = _server(args, laptop)
    try:
        result = sync.checkout(laptop, server, args.person or None, url=args.server)
    finally:
        server.close()
    print(f"This laptop now syncs with {sync.server_name(server)} for {sync.status(laptop)['person']}.")
    return _print_result(result, "Checked out")


def _run(args: argparse.Namespace) -> int:
    from qadesk.services import sync

    laptop = _laptop(args)
    server = _server(args, laptop)
    try:
        result = sync.sync(laptop, server)
    finally:
        server.close()
    return _print_result(result, f"Synced with {sync.server_name(server)}")


def _status(args: argparse.Namespace) -> int:
    from qadesk.exchange.output import uk_datetime
    from qadesk.services import sync

    st = sync.status(_laptop(args))
    if args.json:
        _print_json({**st, "last_sync": st["last_sync"].isoformat() if st["last_sync"] else None})
        return EXIT_OK
    if not st["server"]:
        print("This laptop does not sync with a team server (qadesk sync checkout --server URL --person NAME).")
        return EXIT_OK
    print(f"Syncs with {st['server']} for {st['person']}: {st['audits']:,} audits checked out; "
          f"last synced {uk_datetime(st['last_sync']) or 'never'}; conflicts waiting: {st['open_conflicts']:,}")
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace) -> int:
    from qadesk.core.merge import MISSING
    from qadesk.services import conflicts

    store = _store(args)
    if args.action == "list":
        with store.session() as s:
            rows = conflicts.list_conflicts(s, resolved=args.all)

        def shown(v: Any) -> Any:
            return None if v is MISSING else v
        if args.json:
            _print_json([{"id": c.id, "audit": c.reference, "audit_id": c.audit_id, "source": c.source,
                          "from": c.source_ref, "field": c.path, "base": shown(c.base), "mine": shown(c.mine),
                          "theirs": shown(c.theirs), "theirs_by": c.theirs_by, "resolution": c.resolution}
                         for c in rows])
            return EXIT_OK
        if not rows:
            print("No conflicts wait to be resolved.")
        for c in rows:
            print(f"{c.id[:8]}  {c.reference}  {c.path}  (from {c.source_ref or c.source})"
                  + (f"  resolved: {c.resolution}" if c.resolution else ""))
            print(f"    mine:   {shown(c.mine)!s:.200}")
            print(f"    theirs: {shown(c.theirs)!s:.200}" + (f"  (by {c.theirs_by})" if c.theirs_by else ""))
        return EXIT_OK
    if args.action == "resolve":
        choice = args.choice
        value: Any = MISSING
        if args.text is not None:
            choice, value = "edited", args.text
        elif choice == "edited":
            raise UsageError("give the field's text with --text")
        with store.transaction() as s:
            c = conflicts.resolve(s, args.id, choice, actor=_actor(s), value=value)
            ref, path = c.reference, c.path
        print(f"{ref}: {path} resolved ({choice}); the next sync takes it to the server.")
        return EXIT_OK
    print(f"unknown action {args.action}", file=sys.stderr)
    return EXIT_REFUSED


def cmd_server(args: argparse.Namespace) -> int:
    """``qadesk server take-in|setup-roles|add-person|people``: the team server (docs/roles.md, docs/sync.md)."""
    return {"take-in": _take_in, "setup-roles": _setup_roles, "add-person": _add_person,
            "people": _people}[args.action](args)


def _server_store(args: argparse.Namespace, what: str) -> Any:
    store = _store(args)
    if store.is_sqlite:
        raise StateError(f"{what} is the team server's: point QADESK_DATABASE_URL at it (a laptop's person is "
                         "its profile: qadesk profile set --roles ...)")
    return store


def _setup_roles(args: argparse.Namespace) -> int:
    from qadesk.core.permissions import Do
    from qadesk.services import permissions
    from qadesk.store import server_roles

    store = _server_store(args, "setting up roles")
    with store.transaction() as s:
        permissions.require(s, Do.MANAGE_PEOPLE)
        done = server_roles.setup(s.connection())
    print(f"The server's qadesk roles are set up ({len(done)} statements): "
          + ", ".join(server_roles.group(r) for r in server_roles.Role) + ".")
    print("Give each person a login of their own: qadesk server add-person LOGIN --name NAME --role ROLE")
    return EXIT_OK


def _add_person(args: argparse.Namespace) -> int:
    import os

    from qadesk.core import permissions as perm
    from qadesk.core.errors import ValidationError
    from qadesk.services import team

    try:
        roles = perm.parse_roles(",".join(args.role))
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    store = _server_store(args, "adding a person with a login")
    with store.transaction() as s:
        team.give_login(s, args.login, roles, password=os.environ.get("QADESK_NEW_PASSWORD") or None)
        member = team.add_or_update(s, args.name, roles, actor=_actor(s), team=args.team,
                                    organisation=args.organisation, job_title=args.job_title, login=args.login)
    print(f"{member.name} works on this server as the login {member.login}: {perm.roles_words(member.roles)}.")
    return EXIT_OK


def _people(args: argparse.Namespace) -> int:
    from qadesk.core import permissions as perm
    from qadesk.services import team

    store = _store(args)
    with store.session() as s:
        people = team.list_team(s)
    if args.json:
        _print_json([p.as_dict() for p in people])
        return EXIT_OK
    if not people:
        print("Nobody is on the people list yet (qadesk server add-person LOGIN --name NAME --role ROLE).")
    for p in people:
        print(f"{p.name}  login {p.login or '-'}  {perm.roles_words(p.roles)}"
              + (f"  team {p.team}" if p.team else ""))
    return EXIT_OK


def _take_in(args: argparse.Namespace) -> int:
    """``qadesk server take-in FOLDER...``: move laptops' stores onto this store (the team server)."""
    from pathlib import Path

    from qadesk.services import sync
    from qadesk.store import open_store
    from qadesk.store.crypto import is_encrypted
    from qadesk.store.paths import DB_FILENAME

    server = _store(args)
    if server.is_sqlite:
        raise StateError("take-in moves laptops' stores onto the team server: point QADESK_DATABASE_URL at it")
    status = EXIT_OK
    for folder in args.folders:
        path = Path(folder).expanduser()
        if not (path / DB_FILENAME).exists():
            raise StateError(f"{path} holds no qadesk store (no {DB_FILENAME} in it)")
        import os

        passphrase = os.environ.get("QADESK_PASSPHRASE") if is_encrypted(path) else None
        saved = os.environ.pop("QADESK_DATABASE_URL", None)  # the laptop's own file, not the server
        try:
            source = open_store(path, passphrase=passphrase) if passphrase else open_store(path)
        finally:
            if saved is not None:
                os.environ["QADESK_DATABASE_URL"] = saved
        try:
            result = sync.take_in(server, source, name=path.name)
        finally:
            source.close()
        print(f"Taken in from {path}:")
        for line in result.lines():
            print(line)
        if result.conflicts:
            status = EXIT_CONFLICTS
    return status
