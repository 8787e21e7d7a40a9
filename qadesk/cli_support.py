"""What every part of the command line shares: exit codes, choosing audits, opening the store, printing.

Exit codes: 0 success, 1 the input was refused (the reason on stderr), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Wrong usage found after parsing (exit code 2)."""


def selection_from(args: argparse.Namespace) -> Any:
    from qadesk.core.ids import lookup_id
    from qadesk.core.selection import Selection

    statuses = args.status if isinstance(args.status, list) else []  # action list's --status is the action's
    return Selection(audit_ids=[lookup_id(a) for a in args.audit], statuses=list(dict.fromkeys(statuses)), teams=list(args.team),
                     template_id=args.template, since=args.since, until=args.until, programme=args.programme)


def check_chosen(store: Any, args: argparse.Namespace) -> None:
    """Refuse (exit 1) an ``--audit`` that names no audit, rather than quietly leave it out."""
    from qadesk.core.errors import NotFound
    from qadesk.core.ids import lookup_id
    from qadesk.services.queries import Selection, count_audits

    with store.session() as s:
        for ident in dict.fromkeys(args.audit):
            if not count_audits(s, Selection(audit_ids=[lookup_id(ident)])):
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


# What a terminal would act on rather than show: C0 controls but tab and newline (ESC starts the escape
# sequences that clear the screen, retitle the window or fake a prompt), DEL, the C1 controls (0x9b is
# a one-byte ESC [), the bidirectional overrides and isolates that make text read in another order
# ("Trojan Source"), and lone surrogates, which no terminal encoding can write.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff]")


def _escape(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on shown as an escape (``\\x1b``, ``\\u202e``)."""
    return _UNPRINTABLE.sub(_escape, text)


class PrintableStream(io.TextIOBase):
    """A text stream that writes through :func:`printable`: nothing from a file or the store reaches the
    terminal as a control character.  A ``\\r`` that begins a write is kept (the progress lines)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        lead = "\r" if text.startswith("\r") else ""
        self._stream.write(lead + printable(text[len(lead):]))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(self._stream.isatty())

    def fileno(self) -> int:
        return int(self._stream.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self._stream, "encoding", "utf-8"))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextmanager
def printable_output() -> Iterator[None]:
    """While a command runs, stdout and stderr go through :class:`PrintableStream`."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(out), PrintableStream(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _json_escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def _print_json(data: Any) -> None:
    # json.dumps escapes C0 controls itself; the others are escaped the JSON way, so the output stays valid
    # JSON with the same values and nothing in it acts on the terminal.
    text = _UNPRINTABLE.sub(_json_escape, json.dumps(data, indent=2, ensure_ascii=False))
    sys.stdout.write(text + "\n")


def _pairs(items: Sequence[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"'{item}' is not {what}=VALUE")
        out.append((key.strip(), value))
    return out

