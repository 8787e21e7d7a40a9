"""The command line: ``qadesk`` opens the window; subcommands script what a QA lead does in bulk.

Exit codes: 0 success, 1 the input was refused (the reason on stderr), 2 wrong usage.
Every option and subcommand is declared in :mod:`qadesk.commandline` (the window parses its options
with the same parser); they run beside this module: ``cli_audits`` (template, audit), ``cli_data``
(demo data, packs, reports, history, agency returns, profile, backup, store), ``cli_work``
(actions, moderation records), ``cli_moderation`` (what to moderate, agreement figures), ``cli_calibration`` (calibration exercises), ``cli_programmes`` (programmes, samples, allocation) and ``cli_cases`` (case
lists, performance data); what they share is in ``cli_support``.  This is the program's entry point,
above the window: with no subcommand it opens :mod:`qadesk.ui` (imported only then).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from qadesk import (
    cli_audits,
    cli_calibration,
    cli_cases,
    cli_data,
    cli_moderation,
    cli_programmes,
    cli_sync,
    cli_work,
)
from qadesk.cli_support import (  # noqa: F401 - re-exported: the names other modules knew in qadesk.cli
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    UsageError,
    check_chosen,
    printable_output,
    selection_from,
)
from qadesk.commandline import add_selection, build_parser  # noqa: F401 - add_selection re-exported
from qadesk.core.errors import QadeskError

COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "template": cli_audits.cmd_template, "audit": cli_audits.cmd_audit, "demo-data": cli_data.cmd_demo_data,
    "pack": cli_data.cmd_pack, "report": cli_data.cmd_report, "history": cli_data.cmd_history,
    "backup": cli_data.cmd_backup, "profile": cli_data.cmd_profile, "agency-return": cli_data.cmd_agency_return,
    "store": cli_data.cmd_store, "action": cli_work.cmd_action, "moderation": lambda a: (
        cli_moderation.cmd_moderation(a) if a.action in cli_moderation.ACTIONS else cli_work.cmd_moderation(a)),
    "calibration": cli_calibration.cmd_calibration, "programme": cli_programmes.cmd_programme, "case": cli_cases.cmd_case, "indicators": cli_cases.cmd_indicators,
    "sync": cli_sync.cmd_sync, "conflicts": cli_sync.cmd_conflicts, "server": cli_sync.cmd_server,
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.data_dir:
        os.environ["QADESK_DATA_DIR"] = str(Path(args.data_dir).expanduser())
    if args.command is None:
        from qadesk.ui.platform_check import exit_unless_window_can_open

        exit_unless_window_can_open(self_test=args.self_test)  # one plain line, not Qt's abort
        from qadesk.ui.app import run

        return run(argv)
    try:
        with printable_output():  # nothing from a file or the store reaches the terminal as a control character
            return _run(parser, args)
    except BrokenPipeError:
        # The reader went away (``qadesk audit list | head``): what it wanted it has; stop quietly, and
        # point stdout at nothing so that Python's own flush at exit does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        parser.error(str(exc))
    except QadeskError as exc:
        print(f"qadesk: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except BrokenPipeError:
        raise  # not a fault of the store or a file: main() stops quietly
    except OSError as exc:  # a data folder that is a file, no permission, a full disk: the reason, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"qadesk: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("qadesk: cancelled", file=sys.stderr)
        return 130
    return EXIT_OK
