"""``qadesk demo-data``, ``pack``, ``report``, ``history``, ``agency-return``, ``profile``, ``backup``, ``store``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qadesk.cli_support import (
    EXIT_OK,
    EXIT_REFUSED,
    UsageError,
    _actor,
    _ask_passphrase,
    _print_json,
    _store,
    check_chosen,
    identify,
    selection_from,
    sqlite_folder,
)
from qadesk.core.errors import ValidationError


def cmd_demo_data(args: argparse.Namespace) -> int:
    from qadesk.services.demo import generate

    if args.audits < 0 or args.audits > 1_000_000:
        raise UsageError("--audits takes a number from 0 to 1,000,000")
    store = _store(args)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done:,} / {total:,} audits", end="", file=sys.stderr)

    if args.case_list and Path(args.case_list).suffix.lower() not in (".csv", ".xlsx"):
        raise UsageError("--case-list writes a .csv or an .xlsx file")
    if args.case_list and not Path(args.case_list).absolute().parent.is_dir():
        raise UsageError(f"--case-list: the folder {Path(args.case_list).absolute().parent} does not exist")
    summary = generate(store, audits=args.audits, seed=args.seed, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(summary)
    if args.case_list:
        from qadesk.services.demo_cases import write_demo_case_list

        print(write_demo_case_list(store, Path(args.case_list), seed=args.seed))
    return EXIT_OK


def cmd_pack(args: argparse.Namespace) -> int:
    from qadesk.services import packs

    store = _store(args)
    if args.action == "export":
        if args.identifiable and not args.external:
            raise UsageError("--identifiable goes with --external (a pack for another organisation)")
        if (args.mask_suspects or args.allow_suspects) and not (args.external and not args.identifiable):
            raise UsageError("--mask-suspects and --allow-suspects go with --external (a pseudonymised pack)")
        if args.blind is not None and args.kind != "moderation_request":
            raise UsageError("--blind and --no-blind go with --kind moderation_request")
        check_chosen(store, args)
        rest = "mask" if args.mask_suspects else "keep" if args.allow_suspects else "refuse"
        try:
            result = packs.export_pack(store, Path(args.to), kind=args.kind, selection=selection_from(args),
                                       external=args.external, identifiable=args.identifiable,
                                       resolution=packs.Resolution(rest=rest), blind=args.blind)
        except packs.UnresolvedSuspects as exc:
            print(exc, file=sys.stderr)
            print("Mask them too with --mask-suspects, or send them as written with --allow-suspects; "
                  "the window's export lets you judge each one.", file=sys.stderr)
            return EXIT_REFUSED
        print(result)
        return EXIT_OK
    imported = packs.import_pack(store, Path(args.file))
    print(imported)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from qadesk.services import reporting

    store = _store(args)
    check_chosen(store, args)
    path = reporting.write_report(store, Path(args.to), selection_from(args))
    print(f"Written {path}")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from qadesk.services.history import verify_store

    store = _store(args)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\rreplaying {done:,} / {total:,} audits", end="", file=sys.stderr)

    packs = []
    for name in args.pack:
        from qadesk.exchange.pack_check import read_pack

        packs.append((Path(name).name, read_pack(Path(name)).manifest.get("history_head")))
    with store.session() as s:
        report = verify_store(s, store.path, progress=progress, packs=packs)
    if sys.stderr.isatty():
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr)
    for note in report.notes:
        print(note)
    if report.ok:
        print(f"The history is intact and accounts for the store: {report.entries:,} entries, every link checked; "
              f"{report.anchor}; {report.replayed_audits:,} audits replayed and compared with the tables "
              f"({report.answers:,} answers, {report.actions:,} actions, {report.moderations:,} moderations), "
              f"{report.templates:,} templates checked.")
        return EXIT_OK
    n = report.total_problems
    places = list(dict.fromkeys(p.where for p in report.problems))
    print(f"The history does not account for the store: {n:,} problem{'s' if n != 1 else ''} "
          f"({report.entries:,} entries, {report.audits:,} audits checked).", file=sys.stderr)
    for place in places[:15]:
        found = [p for p in report.problems if p.where == place]
        more = f" (and {len(found) - 1:,} more here)" if len(found) > 1 else ""
        print(f"- {found[0].describe()}{more}", file=sys.stderr)
    if len(places) > 15 or n > len(report.problems):
        print("… and more; the first of each place is listed above.", file=sys.stderr)
    return EXIT_REFUSED


def cmd_agency_return(args: argparse.Namespace) -> int:
    from qadesk.services.agency import export_returns, import_return

    store = _store(args)
    if args.action == "export":
        with store.session() as s:
            if args.agency:
                paths = export_returns(s, args.audit, agency=args.agency, to_file=args.to)
            else:
                paths = export_returns(s, args.audit, Path(args.to))
        for path in paths:
            print(f"Written {path}")
        return EXIT_OK
    with store.transaction() as s:
        report = import_return(s, Path(args.file), actor=_actor(s))
    print(report.describe())
    return EXIT_OK if report.taken else EXIT_REFUSED


def cmd_profile(args: argparse.Namespace) -> int:
    from qadesk.services.profile import Profile, get_profile, roles_from_server, set_profile

    store = _store(args)
    if args.action == "show":
        with store.session() as s:
            profile = get_profile(s)
        data = {"name": profile.name, "role": profile.role, "team": profile.team,
                "organisation": profile.organisation,
                "roles": list(profile.roles) if profile.roles else None} if profile else None
        if args.json:
            _print_json(data)
        elif data is None:
            print("No profile yet: qadesk profile set --name NAME --role ROLE --team TEAM --organisation ORG")
        else:
            for key, value in data.items():
                if key == "roles":
                    value = ", ".join(value) if value else "all (this is the person's own desk)"
                print(f"{key}: {value or '-'}")
        return EXIT_OK
    with store.transaction() as s:
        current = get_profile(s) or Profile(name="")
        updated = Profile(
            name=(args.name if args.name is not None else current.name).strip(),
            role=args.role if args.role is not None else current.role,
            team=args.team if args.team is not None else current.team,
            organisation=args.organisation if args.organisation is not None else current.organisation,
            roles=_profile_roles(args.roles) if args.roles is not None else current.roles,
        )
        if args.roles is not None and roles_from_server(s):
            raise ValidationError("this laptop takes its roles from the team server it syncs with; "
                                  "ask the server's administrator to change them")
        if not updated.name:
            raise ValidationError("the profile needs a name (--name)")
        for what, value in (("name", updated.name), ("role", updated.role), ("team", updated.team),
                            ("organisation", updated.organisation)):
            if value is not None and len(value) > 200:
                raise ValidationError(f"the {what} is longer than 200 characters")
        set_profile(s, updated)
    print(f"Profile saved: {updated.name}" + (f", {updated.role}" if updated.role else "")
          + (f", {updated.organisation}" if updated.organisation else ""))
    return EXIT_OK


def _profile_roles(text: str) -> list[str] | None:
    """``--roles``: None for "all" (a person's own desk), else the roles' ids; refused when one is not a role."""
    from qadesk.core import permissions as perm

    if text.strip().casefold() in ("all", "every", ""):
        return None
    try:
        roles = perm.parse_roles(text)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    return [r.value for r in perm.Role if r in roles]


def cmd_backup(args: argparse.Namespace) -> int:
    store = _store(args)
    path = store.backup_to(Path(args.to))
    print(f"Backup written to {path}")
    if store.encrypted:
        from qadesk.store.crypto import keyinfo_beside

        print(f"It is encrypted with the store's passphrase; keep {keyinfo_beside(path).name} beside it.")
    return EXIT_OK


def cmd_store(args: argparse.Namespace) -> int:
    """``qadesk store status|encrypt|change-passphrase|decrypt``.

    The conversions need the store alone: while the window or another command uses it they are
    refused, naming it ("The store is open in QA Desk (process 1234 on this computer). Close it
    and try again."), and nothing is changed."""
    from qadesk.store import crypto, open_store

    folder = sqlite_folder(args)
    if folder is None:
        raise UsageError("encryption is for the SQLite store in a data folder, not for QADESK_DATABASE_URL")
    identify(args)
    if args.action == "status":
        return store_status(folder)
    if args.action == "encrypt":
        passphrase = _ask_passphrase("New passphrase: ", confirm=True)
        if crypto.db_path(folder).exists() and crypto.db_path(folder).stat().st_size > 0:
            crypto.encrypt_store(folder, passphrase)
        else:
            open_store(folder, passphrase=passphrase).close()
        print(f"The store in {folder} is encrypted. Keep the passphrase safe: without it nobody, "
              "not even support, can open the store.")
    elif args.action == "change-passphrase":
        old = _ask_passphrase("Current passphrase: ")
        crypto.change_passphrase(folder, old, _ask_passphrase("New passphrase: ", "QADESK_NEW_PASSPHRASE", True))
        print("The passphrase is changed. Backups made before keep the passphrase they were made with.")
    else:
        crypto.decrypt_store(folder, _ask_passphrase("Passphrase: "))
        print(f"The store in {folder} is no longer encrypted.")
    return EXIT_OK


def store_status(folder: Path) -> int:
    """What the store's file is now (read from the file itself), who has it open, and what was cleaned up.

    Taking a use of the store wipes what a killed conversion or backup left half-made; status says so."""
    from qadesk.store import crypto
    from qadesk.store.examine import examine
    from qadesk.store.single_writer import StoreInUse, use_store, window_holder

    database = crypto.db_path(folder)
    if not folder.is_dir():
        print(f"No store yet: {folder} does not exist.")
        return EXIT_OK
    try:
        use = use_store(folder)
    except StoreInUse as exc:
        print(f"{exc} Its state can be told once that has finished.")
        return EXIT_REFUSED
    try:
        found = examine(database)
        code = EXIT_OK
        if found.kind in ("missing", "empty"):
            print(f"No store yet in {folder}.")
        elif found.kind == "plain":
            print(f"Not encrypted: {database}")
            if crypto.keyinfo_path(folder).exists():
                print(f"  ({crypto.KEYINFO_FILENAME} beside it is left from an encryption that was undone or "
                      "never finished; the store does not use it.)")
        elif found.kind == "encrypted":
            p = crypto.read_keyinfo(crypto.keyinfo_path(folder)).current
            print(f"Encrypted (SQLCipher 4; key from the passphrase by Argon2id, {p.time_cost} passes, "
                  f"{p.memory_kib // 1024} MiB, {p.parallelism} lanes): {database}")
        elif found.kind == "other":
            print(f"Not a QA Desk store: {database} looks like {found.detail}.")
            code = EXIT_REFUSED
        else:
            print(f"Damaged: {database}: {found.detail}.")
            code = EXIT_REFUSED
        for path in use.swept:
            what = ("a conversion (encrypt, decrypt) or restore that was interrupted"
                    if any(s in path.name for s in (".converting", ".restoring")) else
                    "a backup or key file that was being written when its program was stopped")
            print(f"Found and removed {path} (overwritten with zeros first): a half-made copy left by {what}. "
                  "The store itself is as it was before.")
        holder = window_holder(folder)
        if holder is not None:
            print(f"Open now in {holder.who()}.")
        return code
    finally:
        use.release()
