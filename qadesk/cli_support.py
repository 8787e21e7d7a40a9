"""What every part of the command line shares: exit codes, choosing audits, opening the store, printing.

Exit codes: 0 success, 1 the input was refused (the reason on stderr), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Wrong usage found after parsing (exit code 2)."""


def selection_from(args: argparse.Namespace) -> Any:
    from qadesk.core.selection import Selection

    statuses = args.status if isinstance(args.status, list) else []  # action list's --status is the action's
    return Selection(audit_ids=list(args.audit), statuses=list(dict.fromkeys(statuses)), teams=list(args.team),
                     template_id=args.template, since=args.since, until=args.until, programme=args.programme)


def check_chosen(store: Any, args: argparse.Namespace) -> None:
    """Refuse (exit 1) an ``--audit`` that names no audit, rather than quietly leave it out."""
    from qadesk.core.errors import NotFound
    from qadesk.services.queries import Selection, count_audits

    with store.session() as s:
        for ident in dict.fromkeys(args.audit):
            if not count_audits(s, Selection(audit_ids=[ident])):
                raise NotFound(f"no audit '{ident}' (give its id or reference, e.g. AUD-2026-0042)")



def sqlite_folder(args: argparse.Namespace) -> Path | None:
    """The data folder of the SQLite store, or None when QADESK_DATABASE_URL points elsewhere."""
    if os.environ.get("QADESK_DATABASE_URL"):
        return None
    from qadesk.store import default_data_dir

    return Path(args.data_dir).expanduser() if args.data_dir else default_data_dir()


def _ask_passphrase(prompt: str, env: str = "QADESK_PASSPHRASE", confirm: bool = False) -> str:
    """A passphrase from ``env``, else typed at the terminal (never echoed); refused without either."""
    from qadesk.core.errors import WrongPassphrase

    given = os.environ.get(env)
    if given:
        return given
    if not sys.stdin.isatty():
        raise WrongPassphrase(f"A passphrase is needed: set {env}, or run qadesk in a terminal to be asked.")
    import getpass

    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("The same again, to confirm: ") != first:
        raise WrongPassphrase("The two passphrases differ; nothing was changed.")
    return first


def program_of(args: argparse.Namespace) -> str:
    """The command as the person typed it, for the message another process gets ("qadesk audit answer")."""
    words = ["qadesk", str(args.command)]
    action = getattr(args, "action", None)
    if isinstance(action, str):
        words.append(action)
    return " ".join(words)


def identify(args: argparse.Namespace) -> None:
    """Tell the store's locks which command this process is (qadesk.store.single_writer)."""
    from qadesk.store.single_writer import identify_process

    identify_process(program_of(args), "command")


def _store(args: argparse.Namespace) -> Any:
    """The store for a command, under a use of it (qadesk.store.single_writer) held until the process ends.

    Every command opens the store this way and shares it with the window and other commands: its
    writes go through SQLite's own locking.  Only conversions (``qadesk store encrypt`` ...) need the
    store alone; while one runs, this refuses with who is converting it."""
    from qadesk.core.errors import WrongPassphrase
    from qadesk.store import open_store
    from qadesk.store.crypto import is_encrypted

    identify(args)
    folder = sqlite_folder(args)
    if folder is None or not is_encrypted(folder):
        return open_store(args.data_dir)
    interactive = not os.environ.get("QADESK_PASSPHRASE") and sys.stdin.isatty()
    attempts = 3 if interactive else 1
    for attempt in range(1, attempts):
        try:
            return open_store(args.data_dir, passphrase=_ask_passphrase("Passphrase of the store: "))
        except WrongPassphrase:
            print(f"That passphrase does not open the store; try again ({attempts - attempt} left).", file=sys.stderr)
    return open_store(args.data_dir, passphrase=_ask_passphrase("Passphrase of the store: "))


def _actor(session: Any) -> str:
    from qadesk.services.profile import current_actor_name

    return current_actor_name(session)


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _pairs(items: Sequence[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"'{item}' is not {what}=VALUE")
        out.append((key.strip(), value))
    return out

