"""The command line: ``qadesk`` opens the window; subcommands script what a QA lead does in bulk.

Exit codes: 0 success, 1 the input was refused (the reason on stderr), 2 wrong usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from qadesk import APP_NAME, __version__
from qadesk.core.errors import QadeskError, SubmitRefused, ValidationError

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """Wrong usage found after parsing (exit code 2)."""


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write YYYY-MM-DD") from None


def add_selection(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("which audits (none means all)")
    g.add_argument("--audit", action="append", default=[], metavar="ID", help="an audit id or reference (repeatable)")
    g.add_argument("--status", action="append", default=[], choices=["draft", "completed", "moderated", "closed"])
    g.add_argument("--team", action="append", default=[], metavar="TEAM")
    g.add_argument("--template", metavar="ID", help="template id")
    g.add_argument("--since", type=_iso_date, metavar="DATE", help="started on or after (YYYY-MM-DD)")
    g.add_argument("--until", type=_iso_date, metavar="DATE", help="started on or before (YYYY-MM-DD)")
    g.add_argument("--programme", metavar="NAME")


def selection_from(args: argparse.Namespace) -> Any:
    from qadesk.services.queries import Selection

    return Selection(audit_ids=list(args.audit), statuses=list(args.status), teams=list(args.team),
                     template_id=args.template, since=args.since, until=args.until, programme=args.programme)


def check_chosen(store: Any, args: argparse.Namespace) -> None:
    """Refuse (exit 1) an ``--audit`` that names no audit, rather than quietly leave it out."""
    from qadesk.core.errors import NotFound
    from qadesk.services.queries import Selection, count_audits

    with store.session() as s:
        for ident in dict.fromkeys(args.audit):
            if not count_audits(s, Selection(audit_ids=[ident])):
                raise NotFound(f"no audit '{ident}' (give its id or reference, e.g. AUD-2026-0042)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="qadesk", description=f"{APP_NAME}: quality assurance of children's social care case work.")
    p.add_argument("--version", action="version", version=f"qadesk {__version__}")
    p.add_argument("--data-dir", metavar="DIR", help="the folder of the store (default: the user's data folder; also QADESK_DATA_DIR)")
    p.add_argument("--demo", action="store_true", help="open the window on a throw-away store full of made-up data")
    p.add_argument("--open-audit", metavar="ID", help="open the window on this audit")
    p.add_argument("--self-test", action="store_true", help="run a short scripted audit through the window offscreen")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("template", help="validate, import, export and list audit templates")
    tsub = t.add_subparsers(dest="action", metavar="ACTION", required=True)
    v = tsub.add_parser("validate", help="check template files; every error on its own line")
    v.add_argument("files", nargs="+", metavar="FILE")
    i = tsub.add_parser("import", help="validate and store template files (JSON or Excel)")
    i.add_argument("files", nargs="+", metavar="FILE")
    for tp in (v, i):
        tp.add_argument("--lenient", action="store_true",
                        help="XLSForm: skip what qadesk cannot represent (each skip a warning) instead of refusing")
        tp.add_argument("--language", metavar="LANG", help="XLSForm: the label language to read, e.g. English or fr")
    df = tsub.add_parser("diff", help="what changed between two stored template versions")
    df.add_argument("old", metavar="ID@VERSION")
    df.add_argument("new", metavar="ID@VERSION")
    e = tsub.add_parser("export", help="write a stored template to JSON or Excel (by the file's ending)")
    e.add_argument("key", metavar="ID[@VERSION]")
    e.add_argument("--to", required=True, metavar="FILE")
    ls = tsub.add_parser("list", help="installed templates")
    ls.add_argument("--json", action="store_true")

    a = sub.add_parser("audit", help="start, list, show and answer audits")
    asub = a.add_subparsers(dest="action", metavar="ACTION", required=True)
    n = asub.add_parser("new", help="start a draft audit on the newest version of a template; prints its id")
    n.add_argument("--template", required=True, metavar="ID")
    n.add_argument("--case-ref")
    n.add_argument("--case-type", choices=["EH", "CIN", "CP", "CLA", "CL"])
    n.add_argument("--team")
    n.add_argument("--practitioner")
    n.add_argument("--programme")
    al = asub.add_parser("list", help="audits, filtered")
    add_selection(al)
    al.add_argument("--json", action="store_true")
    al.add_argument("--limit", type=int, default=None)
    sh = asub.add_parser("show", help="one audit (--json: the audit document)")
    sh.add_argument("id", metavar="ID")
    sh.add_argument("--json", action="store_true")
    an = asub.add_parser("answer", help="record answers: QUESTION=VALUE ... (multi-choice values comma-separated)")
    an.add_argument("id", metavar="ID")
    an.add_argument("pairs", nargs="+", metavar="QUESTION=VALUE")
    an.add_argument("--evidence", action="append", default=[], metavar="QUESTION=NOTE")
    jd = asub.add_parser("judge", help="section judgements SECTION=GRADE and the overall judgement")
    jd.add_argument("id", metavar="ID")
    jd.add_argument("pairs", nargs="*", metavar="SECTION=GRADE")
    jd.add_argument("--overall", metavar="GRADE")
    jd.add_argument("--rationale")
    sm = asub.add_parser("submit", help="complete the audit (refused with what is missing)")
    sm.add_argument("id", metavar="ID")
    ro = asub.add_parser("reopen", help="reopen a completed audit")
    ro.add_argument("id", metavar="ID")
    ro.add_argument("--reason", required=True)
    rp = asub.add_parser("report", help="one audit's report (PDF)")
    rp.add_argument("id", metavar="ID")
    rp.add_argument("--to", required=True, metavar="FILE.pdf")

    d = sub.add_parser("demo-data", help="fill the store with realistic made-up data")
    d.add_argument("--audits", type=int, default=200, metavar="N")
    d.add_argument("--seed", type=int, default=1, metavar="S")

    pk = sub.add_parser("pack", help="moderation packs and audit transfers (.qapack)")
    pksub = pk.add_subparsers(dest="action", metavar="ACTION", required=True)
    pe = pksub.add_parser("export", help="write a pack of the selected audits")
    pe.add_argument("--to", required=True, metavar="FILE")
    pe.add_argument("--kind", default="audit_transfer", choices=["moderation_request", "moderation_return", "audit_transfer"])
    pe.add_argument("--external", action="store_true", help="for another organisation: pseudonymised unless --identifiable")
    pe.add_argument("--identifiable", action="store_true")
    add_selection(pe)
    pi = pksub.add_parser("import", help="verify and import a pack")
    pi.add_argument("file", metavar="FILE")

    r = sub.add_parser("report", help="the QA summary report (.pdf) or the Excel return (.xlsx)")
    r.add_argument("--to", required=True, metavar="FILE")
    add_selection(r)

    h = sub.add_parser("history", help="the change history")
    hsub = h.add_subparsers(dest="action", metavar="ACTION", required=True)
    hsub.add_parser("verify", help="check the hash chain; reports the first broken link")

    ar = sub.add_parser("agency-return", help="workbooks for partner agencies of a multi-agency audit")
    arsub = ar.add_subparsers(dest="action", metavar="ACTION", required=True)
    are = arsub.add_parser("export", help="one workbook per agency section (or --agency NAME --to FILE)")
    are.add_argument("audit", metavar="AUDIT_ID")
    are.add_argument("--to", required=True, metavar="DIR|FILE")
    are.add_argument("--agency", metavar="NAME")
    ari = arsub.add_parser("import", help="take the answers of a completed return into its audit")
    ari.add_argument("file", metavar="FILE")

    pr = sub.add_parser("profile", help="who you are: your name, role, team and organisation (signs audits, reports and packs)")
    prsub = pr.add_subparsers(dest="action", metavar="ACTION", required=True)
    prs = prsub.add_parser("show", help="the profile")
    prs.add_argument("--json", action="store_true")
    prset = prsub.add_parser("set", help="set the profile (fields not given are kept)")
    prset.add_argument("--name")
    prset.add_argument("--role")
    prset.add_argument("--team")
    prset.add_argument("--organisation")

    b = sub.add_parser("backup", help="write a consistent copy of the store")
    b.add_argument("--to", required=True, metavar="FILE")

    st = sub.add_parser("store", help="encrypt the store, change or remove its passphrase")
    stsub = st.add_subparsers(dest="action", metavar="ACTION", required=True)
    stsub.add_parser("status", help="whether the store is encrypted")
    stsub.add_parser("encrypt", help="encrypt the store with a passphrase (QADESK_PASSPHRASE, or asked twice)")
    stsub.add_parser("change-passphrase", help="new passphrase (current: QADESK_PASSPHRASE, new: "
                     "QADESK_NEW_PASSPHRASE, or asked)")
    stsub.add_parser("decrypt", help="turn encryption off: the store becomes a plain SQLite file again")
    return p


def _sqlite_folder(args: argparse.Namespace) -> Path | None:
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


def _store(args: argparse.Namespace) -> Any:
    from qadesk.core.errors import WrongPassphrase
    from qadesk.store import open_store
    from qadesk.store.crypto import is_encrypted

    folder = _sqlite_folder(args)
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


# ---------------------------------------------------------------------------------------------


def cmd_template(args: argparse.Namespace) -> int:
    from qadesk.exchange.templates import read_template, write_template
    from qadesk.services import templates as svc

    _read_any = read_template

    if args.action in ("validate", "import"):
        from qadesk.exchange.templates import EXCEL_SUFFIXES

        def read_template(f: str) -> Any:  # noqa: F811 — Excel files take --lenient/--language
            if Path(f).suffix.lower() not in EXCEL_SUFFIXES:
                return _read_any(f)
            from qadesk.exchange.template_xlsx import read_template_xlsx_report

            t, warnings = read_template_xlsx_report(f, lenient=args.lenient, language=args.language)
            for w in warnings:
                print(f"{f}: warning: {w}", file=sys.stderr)
            return t

    if args.action == "diff":
        from qadesk.core.template import parse_key
        from qadesk.core.template_diff import diff_templates

        keys = [parse_key(args.old), parse_key(args.new)]
        with _store(args).session() as s:
            old, new = (svc.get_template(s, tid, ver) for tid, ver in keys)
        print(diff_templates(old, new).describe())
        return EXIT_OK
    if args.action == "validate":
        failed = False
        for f in args.files:
            try:
                t = read_template(f)
            except ValidationError as exc:
                failed = True
                for prob in exc.problems:
                    print(f"{f}: {prob}", file=sys.stderr)
            else:
                print(f"{f}: valid ({t.key}, {sum(1 for _ in t.questions())} questions)")
        return EXIT_REFUSED if failed else EXIT_OK
    if args.action == "import":
        loaded = []
        failed = False
        for f in args.files:
            try:
                loaded.append(read_template(f))
            except ValidationError as exc:
                failed = True
                for prob in exc.problems:
                    print(f"{f}: {prob}", file=sys.stderr)
        if failed:
            print("Nothing was imported.", file=sys.stderr)
            return EXIT_REFUSED
        store = _store(args)
        with store.transaction() as s:
            actor = _actor(s)
            results = [(t, svc.import_template(s, t, actor)[1]) for t in loaded]
        for t, created in results:
            print(f"{t.key}: {'imported' if created else 'already installed, unchanged'} — {t.title}")
        return EXIT_OK
    store = _store(args)
    if args.action == "list":
        with store.session() as s:
            infos = svc.list_templates(s)
        if args.json:
            _print_json([i.as_dict() for i in infos])
        else:
            for i in infos:
                flag = "  (retired)" if i.retired else ""
                print(f"{i.id}\t{i.version}\t{i.kind}\t{i.title}{flag}")
        return EXIT_OK
    if args.action == "export":
        from qadesk.core.template import parse_key

        tid, ver = parse_key(args.key)
        with store.session() as s:
            t = svc.get_template(s, tid, ver)
        path = write_template(t, args.to)
        print(f"{t.key} written to {path}")
        return EXIT_OK
    raise UsageError(args.action)


def _pairs(items: Sequence[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"'{item}' is not {what}=VALUE")
        out.append((key.strip(), value))
    return out


def cmd_audit(args: argparse.Namespace) -> int:
    from qadesk.services import audits as svc
    from qadesk.services.profile import get_profile

    store = _store(args)
    if args.action == "new":
        with store.transaction() as s:
            profile = get_profile(s)
            auditor = svc.Actor(name=_actor(s), role=profile.role if profile else None)
            audit = svc.start_audit(
                s, args.template,
                svc.Subject(case_ref=args.case_ref, case_type=args.case_type, team=args.team,
                            practitioner=args.practitioner),
                auditor, programme=args.programme)
            print(audit.id)
            print(f"Started {audit.reference} on {audit.template.template_id}@{audit.template.version}", file=sys.stderr)
        return EXIT_OK
    if args.action == "list":
        from qadesk.services.queries import list_audits

        check_chosen(store, args)
        with store.session() as s:
            rows = list_audits(s, selection_from(args), limit=args.limit)
        if args.json:
            _print_json([r.as_dict() for r in rows])
        else:
            for r in rows:
                print(f"{r.reference}\t{r.status}\t{r.template_id}@{r.template_version}\t{r.case_ref or '-'}\t"
                      f"{r.team or '-'}\t{r.grade or '-'}\t{r.id}")
        return EXIT_OK
    if args.action == "show":
        with store.session() as s:
            audit = svc.get_audit(s, args.id)
            doc = svc.audit_document(audit)
            t = svc.template_for(audit)
        if args.json:
            _print_json(doc)
        else:
            _print_audit(doc, t)
        return EXIT_OK
    if args.action == "answer":
        evidence = dict(_pairs(args.evidence, "QUESTION"))
        with store.transaction() as s:
            actor = _actor(s)
            for qid, value in _pairs(args.pairs, "QUESTION"):
                kwargs: dict[str, Any] = {}
                if qid in evidence:
                    kwargs["evidence"] = evidence.pop(qid)
                svc.save_answer(s, args.id, qid, value, actor=actor, strict=True, **kwargs)
            for qid, note in evidence.items():
                audit = svc.get_audit(s, args.id)
                current = svc.state_of(audit).answers.get(qid)
                svc.save_answer(s, args.id, qid, current, actor=actor, evidence=note, strict=True)
        print("Saved.")
        return EXIT_OK
    if args.action == "judge":
        with store.transaction() as s:
            actor = _actor(s)
            for sid, grade in _pairs(args.pairs, "SECTION"):
                svc.set_section_grade(s, args.id, sid, grade, actor=actor)
            kwargs = {}
            if args.overall is not None:
                kwargs["grade"] = args.overall
            if args.rationale is not None:
                kwargs["rationale"] = args.rationale
            result = svc.set_overall(s, args.id, actor=actor, **kwargs)
        print(f"Saved. Suggested overall grade: {result.suggested or 'none'}")
        return EXIT_OK
    if args.action == "submit":
        try:
            with store.transaction() as s:
                audit = svc.submit(s, args.id, actor=_actor(s))
                ref = audit.reference
        except SubmitRefused as exc:
            print(str(exc), file=sys.stderr)
            return EXIT_REFUSED
        print(f"{ref} completed.")
        return EXIT_OK
    if args.action == "reopen":
        with store.transaction() as s:
            audit = svc.reopen(s, args.id, args.reason, actor=_actor(s))
            ref = audit.reference
        print(f"{ref} reopened as a draft.")
        return EXIT_OK
    if args.action == "report":
        from qadesk.exchange.audit_report import write_audit_report

        if Path(args.to).suffix.lower() != ".pdf":
            raise ValidationError(f"an audit's report is written as .pdf, not '{Path(args.to).suffix or args.to}'")
        with store.session() as s:
            path = write_audit_report(s, args.id, Path(args.to))
        print(f"Written {path}")
        return EXIT_OK
    raise UsageError(args.action)


def _print_audit(doc: dict[str, Any], t: Any) -> None:
    from qadesk.exchange.display import answer_text, grade_label, overall_label
    from qadesk.exchange.output import uk_date

    subj = doc["subject"]
    print(f"{doc['reference']}  {t.title} (v{t.version})  [{doc['status']}]")
    print(f"Case {subj.get('case_ref') or '-'} ({subj.get('case_type') or '-'}), team {subj.get('team') or '-'}, "
          f"practitioner {subj.get('practitioner') or '-'}; auditor {doc['auditor']['name'] or '-'}")
    for s in t.sections:
        grade = grade_label(t, s.grade_list, doc["sections"].get(s.id, {}).get("grade"))
        print(f"\n== {s.title}" + (f"  — judgement: {grade}" if grade else ""))
        for q in s.questions:
            if q.id in doc["answers"]:
                a = doc["answers"][q.id]
                print(f"  {q.label}\n    {answer_text(q, a.get('value')) or '-'}"
                      + (f"\n    evidence: {a['evidence']}" if a.get("evidence") else ""))
    o = doc["overall"]
    print(f"\nOverall: {overall_label(t, o['grade']) or '-'} (suggested {overall_label(t, o['suggested']) or '-'})")
    if doc.get("moderations"):
        print(f"Final grade (moderated): {overall_label(t, doc.get('final_grade')) or '-'}")
    for a in doc["actions"]:
        print(f"Action [{a['status']}] {a['text']} — {a['owner'] or '-'}, due {uk_date(a['due']) or '-'}")


def cmd_demo_data(args: argparse.Namespace) -> int:
    from qadesk.services.demo import generate

    if args.audits < 0 or args.audits > 1_000_000:
        raise UsageError("--audits takes a number from 0 to 1,000,000")
    store = _store(args)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done:,} / {total:,} audits", end="", file=sys.stderr)

    summary = generate(store, audits=args.audits, seed=args.seed, progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(summary)
    return EXIT_OK


def cmd_pack(args: argparse.Namespace) -> int:
    from qadesk.exchange import packs

    store = _store(args)
    if args.action == "export":
        if args.identifiable and not args.external:
            raise UsageError("--identifiable goes with --external (a pack for another organisation)")
        check_chosen(store, args)
        result = packs.export_pack(store, Path(args.to), kind=args.kind, selection=selection_from(args),
                                   external=args.external, identifiable=args.identifiable)
        print(result)
        return EXIT_OK
    result = packs.import_pack(store, Path(args.file))
    print(result)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from qadesk.exchange import reports

    store = _store(args)
    check_chosen(store, args)
    path = reports.write_report(store, Path(args.to), selection_from(args))
    print(f"Written {path}")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from qadesk.store.history import verify

    store = _store(args)
    with store.session() as s:
        report = verify(s)
    if report.ok:
        print(f"The history is intact: {report.entries:,} entries, every link checked.")
        return EXIT_OK
    print(f"The history is broken at entry {report.broken_at}: {report.reason}", file=sys.stderr)
    return EXIT_REFUSED


def cmd_agency_return(args: argparse.Namespace) -> int:
    from qadesk.exchange.agency_return import export_returns, import_return

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
    from qadesk.services.profile import Profile, get_profile, set_profile

    store = _store(args)
    if args.action == "show":
        with store.session() as s:
            profile = get_profile(s)
        data = {"name": profile.name, "role": profile.role, "team": profile.team,
                "organisation": profile.organisation} if profile else None
        if args.json:
            _print_json(data)
        elif data is None:
            print("No profile yet: qadesk profile set --name NAME --role ROLE --team TEAM --organisation ORG")
        else:
            for key, value in data.items():
                print(f"{key}: {value or '-'}")
        return EXIT_OK
    with store.transaction() as s:
        current = get_profile(s) or Profile(name="")
        updated = Profile(
            name=(args.name if args.name is not None else current.name).strip(),
            role=args.role if args.role is not None else current.role,
            team=args.team if args.team is not None else current.team,
            organisation=args.organisation if args.organisation is not None else current.organisation,
        )
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


def cmd_backup(args: argparse.Namespace) -> int:
    store = _store(args)
    path = store.backup_to(Path(args.to))
    print(f"Backup written to {path}")
    if store.encrypted:
        from qadesk.store.crypto import keyinfo_beside

        print(f"It is encrypted with the store's passphrase; keep {keyinfo_beside(path).name} beside it.")
    return EXIT_OK


def cmd_store(args: argparse.Namespace) -> int:
    from qadesk.store import crypto, open_store

    folder = _sqlite_folder(args)
    if folder is None:
        raise UsageError("encryption is for the SQLite store in a data folder, not for QADESK_DATABASE_URL")
    if args.action == "status":
        if crypto.is_encrypted(folder):
            p = crypto.read_keyinfo(crypto.keyinfo_path(folder)).current
            print(f"Encrypted (SQLCipher 4; key from the passphrase by Argon2id, {p.time_cost} passes, "
                  f"{p.memory_kib // 1024} MiB, {p.parallelism} lanes): {crypto.db_path(folder)}")
        else:
            print(f"Not encrypted: {crypto.db_path(folder)}")
        return EXIT_OK
    if args.action == "encrypt":
        passphrase = _ask_passphrase("New passphrase: ", confirm=True)
        if crypto.db_path(folder).exists():
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


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "template": cmd_template, "audit": cmd_audit, "demo-data": cmd_demo_data, "pack": cmd_pack,
    "report": cmd_report, "history": cmd_history, "backup": cmd_backup, "profile": cmd_profile, "agency-return": cmd_agency_return, "store": cmd_store,
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
        return COMMANDS[args.command](args)
    except UsageError as exc:
        parser.error(str(exc))
    except QadeskError as exc:
        print(f"qadesk: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:  # a data folder that is a file, no permission, a full disk: the reason, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"qadesk: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("qadesk: cancelled", file=sys.stderr)
        return 130
    return EXIT_OK
