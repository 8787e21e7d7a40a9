"""The command line's words: every option and subcommand of ``qadesk``, and nothing that runs them.

:func:`build_parser` is what both the command line (:mod:`qadesk.cli`, which runs the subcommands
in ``cli_audits``, ``cli_data`` and ``cli_work``) and the window (:mod:`qadesk.ui.app`, which reads
``--data-dir``, ``--demo``, ``--open-audit`` and ``--self-test``) parse ``argv`` with.  It imports no
command module and no part of the window, so either can use it without importing the other.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timezone
from typing import Any

from qadesk import APP_NAME, __version__
from qadesk.core.audit import SUMMARY_KEYS

STATUSES = ("draft", "completed", "moderated", "closed")
ACTION_SHOW = ("open", "done", "cancelled", "overdue", "all")


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``qadesk ARGV``: the window's options and every subcommand."""
    p = argparse.ArgumentParser(prog="qadesk", description=f"{APP_NAME}: quality assurance of children's social care case work.")
    p.add_argument("--version", action="version", version=f"qadesk {__version__}")
    p.add_argument("--data-dir", metavar="DIR", help="the folder of the store (default: the user's data folder; also QADESK_DATA_DIR)")
    p.add_argument("--demo", action="store_true", help="open the window on a throw-away store full of made-up data")
    p.add_argument("--open-audit", metavar="ID", help="open the window on this audit")
    p.add_argument("--self-test", action="store_true", help="run a short scripted audit through the window offscreen")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    _audits_and_templates(sub)
    _data(sub)
    _work(sub)
    _cases(sub)
    return p


# ---- argument types --------------------------------------------------------------------------

def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date: write YYYY-MM-DD") from None


def status_list(text: str) -> list[str]:
    """``--status completed,moderated``: one status or several, comma-separated (each checked)."""
    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    wrong = [v for v in values if v not in STATUSES]
    if not values or wrong:
        raise argparse.ArgumentTypeError(
            f"'{', '.join(wrong) or text}' is not a status: choose from {', '.join(STATUSES)} "
            "(several comma-separated, e.g. completed,moderated)")
    return values


def add_selection(p: argparse.ArgumentParser, *, statuses: bool = True) -> None:
    """SELECTION (contracts.md section 4); ``statuses=False`` where --status means something else (actions)."""
    g = p.add_argument_group("which audits (none means all)")
    g.add_argument("--audit", action="append", default=[], metavar="ID", help="an audit id or reference (repeatable)")
    if statuses:
        g.add_argument("--status", action="extend", default=[], type=status_list, metavar="S[,S...]",
                       help=f"one or more of {', '.join(STATUSES)}, comma-separated (repeatable)")
    g.add_argument("--team", action="append", default=[], metavar="TEAM")
    g.add_argument("--template", metavar="ID", help="template id")
    g.add_argument("--since", type=_iso_date, metavar="DATE", help="started on or after (YYYY-MM-DD)")
    g.add_argument("--until", type=_iso_date, metavar="DATE", help="started on or before (YYYY-MM-DD)")
    g.add_argument("--programme", metavar="NAME")


def _when(text: str) -> datetime:
    """``--told-at``: an ISO date and time (``2026-12-09T14:30``, local time unless an offset is given) or a date."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date and time: write YYYY-MM-DDTHH:MM") from None
    return (value if value.tzinfo else value.astimezone()).astimezone(timezone.utc)


def _teams(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


# ---- the subcommands -------------------------------------------------------------------------

def _audits_and_templates(sub: Any) -> None:
    """``qadesk template ...`` and ``qadesk audit ...`` (run by :mod:`qadesk.cli_audits`)."""
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
    an = asub.add_parser("answer", help="record answers: QUESTION=VALUE ... (multi-choice values comma-separated; "
                         f"the summary as summary.KEY=TEXT, KEY one of {', '.join(SUMMARY_KEYS)})")
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


def _data(sub: Any) -> None:
    """``demo-data``, ``pack``, ``report``, ``history``, ``agency-return``, ``profile``, ``backup``, ``store``
    (run by :mod:`qadesk.cli_data`)."""
    d = sub.add_parser("demo-data", help="fill the store with realistic made-up data")
    d.add_argument("--audits", type=int, default=200, metavar="N")
    d.add_argument("--seed", type=int, default=1, metavar="S")
    d.add_argument("--case-list", metavar="FILE",
                   help="also write the made-up council's case list as of today (.csv or .xlsx), every demo case "
                        "among its open cases, to import with 'qadesk case import FILE'")

    pk = sub.add_parser("pack", help="moderation packs and audit transfers (.qapack)")
    pksub = pk.add_subparsers(dest="action", metavar="ACTION", required=True)
    pe = pksub.add_parser("export", help="write a pack of the selected audits")
    pe.add_argument("--to", required=True, metavar="FILE")
    pe.add_argument("--kind", default="audit_transfer", choices=["moderation_request", "moderation_return", "audit_transfer"])
    pe.add_argument("--external", action="store_true", help="for another organisation: pseudonymised unless --identifiable")
    pe.add_argument("--identifiable", action="store_true")
    pe.add_argument("--blind", action=argparse.BooleanOptionalAction, default=None,
                    help="a moderation request: leave the auditor's judgements out of its report and workbook, and "
                         "have the moderator record their own first (default: the store's blind moderation setting)")
    suspects = pe.add_mutually_exclusive_group()
    suspects.add_argument("--mask-suspects", action="store_true",
                          help="pseudonymised: also mask everything else that looks identifying (names, dates, ...)")
    suspects.add_argument("--allow-suspects", action="store_true",
                          help="pseudonymised: send what looks identifying but is not known as written")
    add_selection(pe)
    pi = pksub.add_parser("import", help="verify and import a pack")
    pi.add_argument("file", metavar="FILE")

    r = sub.add_parser("report", help="the QA summary report (.pdf) or the Excel return (.xlsx)")
    r.add_argument("--to", required=True, metavar="FILE")
    add_selection(r)

    h = sub.add_parser("history", help="the change history")
    hsub = h.add_subparsers(dest="action", metavar="ACTION", required=True)
    hv = hsub.add_parser("verify", help="check the hash chain, its checkpoint, and that the history accounts for "
                         "every audit in the store; names the first difference")
    hv.add_argument("--pack", action="append", default=[], metavar="FILE",
                    help="also check the history against the head recorded in a pack this store exported")

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
    prset.add_argument("--role", help="your job title, as reports show it (e.g. Team manager)")
    prset.add_argument("--team")
    prset.add_argument("--organisation")
    prset.add_argument("--roles", metavar="ROLE,ROLE", help="what you do in qadesk on this laptop: auditor, "
                       "moderator, qa_lead, psw, practitioner, administrator (comma-separated; 'all' for your own "
                       "desk, every role: docs/roles.md)")

    b = sub.add_parser("backup", help="write a consistent copy of the store")
    b.add_argument("--to", required=True, metavar="FILE")

    st = sub.add_parser("store", help="encrypt the store, change or remove its passphrase")
    stsub = st.add_subparsers(dest="action", metavar="ACTION", required=True)
    stsub.add_parser("status", help="whether the store is encrypted")
    stsub.add_parser("encrypt", help="encrypt the store with a passphrase (QADESK_PASSPHRASE, or asked twice)")
    stsub.add_parser("change-passphrase", help="new passphrase (current: QADESK_PASSPHRASE, new: "
                     "QADESK_NEW_PASSPHRASE, or asked)")
    stsub.add_parser("decrypt", help="turn encryption off: the store becomes a plain SQLite file again")


def _work(sub: Any) -> None:
    """``qadesk action ...`` and ``moderation ...`` (run by :mod:`qadesk.cli_work`)."""
    ac = sub.add_parser("action", help="actions from audits: list, add, mark done")
    acsub = ac.add_subparsers(dest="action", metavar="ACTION", required=True)
    al = acsub.add_parser("list", help="actions, urgent first then soonest due")
    al.add_argument("--status", choices=ACTION_SHOW, default="open",
                    help="open (the default), done, cancelled, overdue (open and past due) or all")
    al.add_argument("--owner", metavar="NAME", help="owned by this person")
    al.add_argument("--urgent", action="store_true", help="urgent actions only")
    al.add_argument("--overdue", action="store_true", help="past their due date only")
    add_selection(al, statuses=False)
    al.add_argument("--limit", type=int, default=None, metavar="N")
    al.add_argument("--json", action="store_true")
    aa = acsub.add_parser("add", help="add an action to an audit; prints its id")
    aa.add_argument("audit", metavar="AUDIT", help="the audit's id or reference")
    aa.add_argument("--text", required=True, help="what must happen")
    aa.add_argument("--owner", metavar="NAME")
    aa.add_argument("--due", type=_iso_date, metavar="YYYY-MM-DD")
    aa.add_argument("--urgent", action="store_true", help="needed to keep the child safe")
    aa.add_argument("--told", metavar="WHO", help="urgent: who was told of the concern")
    aa.add_argument("--told-at", type=_when, metavar="DATETIME", help="urgent: when they were told (ISO)")
    ad = acsub.add_parser("done", help="mark an action done, with a note of what was done")
    ad.add_argument("id", metavar="ACTION_ID")
    ad.add_argument("--note", required=True, help="what was done, and when")

    mo = sub.add_parser("moderation", help="record moderations; list what awaits moderation and what was recorded")
    mosub = mo.add_subparsers(dest="action", metavar="ACTION", required=True)
    mr = mosub.add_parser("record", help="record a moderation of a completed audit by the profile's person")
    mr.add_argument("audit", metavar="AUDIT", help="the audit's id or reference")
    view = mr.add_mutually_exclusive_group(required=True)
    view.add_argument("--agree", action="store_true", help="agree with the auditor's overall grade")
    view.add_argument("--grade", metavar="GRADE", help="the moderated grade (a value of the overall scale)")
    mr.add_argument("--rationale", help="why (needed with --grade)")
    mr.add_argument("--kind", choices=["internal", "external"], default="internal")
    mr.add_argument("--section", action="append", default=[], metavar="SECTION=GRADE",
                    help="your own judgement of a section (repeat for each); not with judgements recorded blind")
    mr.add_argument("--learning-points", metavar="TEXT", help="learning points for the auditor")
    mj = mosub.add_parser("judge", help="blind moderation: record your own judgements before you see the "
                          "auditor's (then shows both side by side; conclude with 'moderation record')")
    mj.add_argument("audit", metavar="AUDIT", help="the audit's id or reference")
    mj.add_argument("--overall", required=True, metavar="GRADE", help="your overall grade (a value of the overall scale)")
    mj.add_argument("--section", action="append", default=[], metavar="SECTION=GRADE",
                    help="your judgement of a section (repeat for each)")
    mj.add_argument("--kind", choices=["internal", "external"], default="internal")
    mj.add_argument("--json", action="store_true")
    me = mosub.add_parser("evidence", help="an audit's evidence as a moderator reads it: the auditor's judgements "
                          "hidden while blind moderation is on and you have not recorded your own")
    me.add_argument("audit", metavar="AUDIT", help="the audit's id or reference")
    me.add_argument("--json", action="store_true")
    mn = mosub.add_parser("note", help="add to a moderation's dialogue: the moderator's note or the auditor's response")
    mn.add_argument("moderation", metavar="MODERATION_ID")
    mn.add_argument("--text", required=True)
    mb = mosub.add_parser("blind", help="show, or set (the QA lead), whether moderators judge blind")
    mb.add_argument("state", nargs="?", choices=["on", "off"])
    ml = mosub.add_parser("list", help="moderations recorded, newest first (or --awaiting)")
    ml.add_argument("--awaiting", action="store_true",
                    help="instead: completed audits awaiting moderation, oldest completed first")
    add_selection(ml)
    ml.add_argument("--limit", type=int, default=None, metavar="N")
    ml.add_argument("--json", action="store_true")
    _moderation_figures(mosub)
    _calibration(sub)

    _programmes(sub)
    _sync(sub)


def _moderation_figures(mosub: Any) -> None:
    """``qadesk moderation sample`` and ``stats`` (run by :mod:`qadesk.cli_moderation`)."""
    ms = mosub.add_parser("sample", help="choose completed audits to moderate: a share stratified by auditor and "
                          "grade, a minimum per auditor per quarter, every extreme grade (shows them; --confirm "
                          "records them)")
    ms.add_argument("--seed", type=int, required=True, metavar="S", help="the same seed gives the same sample")
    ms.add_argument("--since", type=_iso_date, metavar="YYYY-MM-DD", help="completed on or after (default: the "
                    "last full quarter)")
    ms.add_argument("--until", type=_iso_date, metavar="YYYY-MM-DD", help="completed on or before")
    ms.add_argument("--percent", type=float, metavar="P", help="the share to moderate (default: the QA lead's "
                    "setting, 10 unless changed)")
    ms.add_argument("--minimum-per-quarter", type=int, metavar="N", help="at least N of each auditor's audits "
                    "per quarter (default: the setting, 2 unless changed)")
    extremes = ms.add_mutually_exclusive_group()
    extremes.add_argument("--extremes", dest="extremes", action="store_true", default=None,
                          help="also every audit graded at either end of its scale")
    extremes.add_argument("--no-extremes", dest="extremes", action="store_false")
    ms.add_argument("--save-rules", action="store_true", help="keep these as the QA lead's settings")
    ms.add_argument("--confirm", action="store_true", help="record the audits chosen (the Moderation screen "
                    "lists them first)")
    ms.add_argument("--json", action="store_true")
    mst = mosub.add_parser("stats", help="agreement between auditors and moderators: exact, within one grade, "
                           "weighted kappa with its interval, Gwet's AC2; each with its n")
    add_selection(mst)
    mst.add_argument("--by", choices=["auditor", "moderator", "team", "template", "section", "quarter"],
                     help="one line per group (default: all moderated audits together)")
    mst.add_argument("--drift", action="store_true", help="instead: each auditor's drift from moderation "
                     "(mean grade difference with its interval, and the warning)")
    mst.add_argument("--json", action="store_true")


def _sync(sub: Any) -> None:
    """``qadesk sync ...`` and ``qadesk conflicts ...`` (run by :mod:`qadesk.cli_sync`, docs/sync.md)."""
    sy = sub.add_parser("sync", help="a laptop that works offline: check out your audits from the team server, "
                        "then send your changes up and bring others' down")
    sysub = sy.add_subparsers(dest="action", metavar="ACTION")
    sc = sysub.add_parser("checkout", help="make this laptop sync with a team server and bring down the audits "
                          "assigned to a person")
    sc.add_argument("--server", required=True, metavar="URL", help="the team server's PostgreSQL URL "
                    "(the password from ~/.pgpass or PGPASSWORD)")
    sc.add_argument("--person", metavar="NAME", help="whose audits (default: the person the server login is; "
                    "for the server's owner, this laptop's profile)")
    sr = sysub.add_parser("run", help="sync now (the default)")
    sr.add_argument("--server", metavar="URL", help="the server's URL, when not the one checked out from")
    ss = sysub.add_parser("status", help="which server, for whom, how many audits, when last synced")
    ss.add_argument("--json", action="store_true")
    co = sub.add_parser("conflicts", help="fields that this copy and another (the server, a pack) changed "
                        "differently, kept until a person resolves them")
    cosub = co.add_subparsers(dest="action", metavar="ACTION", required=True)
    cl = cosub.add_parser("list", help="the conflicts waiting (or --all)")
    cl.add_argument("--all", action="store_true", help="resolved ones too")
    cl.add_argument("--json", action="store_true")
    cr = cosub.add_parser("resolve", help="keep mine, take theirs, keep both (text), or give the text")
    cr.add_argument("id", metavar="ID", help="the conflict's id (its first 8 characters will do)")
    cr.add_argument("choice", nargs="?", default="edited", choices=["mine", "theirs", "both", "edited"])
    cr.add_argument("--text", metavar="TEXT", help="what the field should hold (instead of a choice)")
    se = sub.add_parser("server", help="the team server: its roles and people, and taking laptops' stores into it")
    sesub = se.add_subparsers(dest="action", metavar="ACTION", required=True)
    st = sesub.add_parser("take-in", help="move laptops' stores onto the team server (QADESK_DATABASE_URL), keeping "
                          "every audit and history entry; an audit the server holds already is merged, and what "
                          "differs is kept as conflicts to resolve (an encrypted store: QADESK_PASSPHRASE)")
    st.add_argument("folders", nargs="+", metavar="FOLDER", help="a laptop's data folder (holding qadesk.sqlite)")
    sesub.add_parser("setup-roles", help="create qadesk's group roles on the server and grant each what it may do, "
                     "with row-level security (run by the database's owner; again after each upgrade)")
    sa = sesub.add_parser("add-person", help="give a person a login of their own on the server, with their roles, "
                          "and put them on the people list (their password: QADESK_NEW_PASSWORD, or set by IT)")
    sa.add_argument("login", metavar="LOGIN", help="the database login (lower case, e.g. rfirstperson)")
    sa.add_argument("--name", required=True, help="the person's name, as audits and history show it")
    sa.add_argument("--role", action="append", required=True, metavar="ROLE", help="a role (repeat, or comma-"
                    "separate): auditor, moderator, qa_lead, psw, practitioner, administrator")
    sa.add_argument("--team")
    sa.add_argument("--organisation")
    sa.add_argument("--job-title", metavar="TITLE", help="e.g. Team manager")
    sp = sesub.add_parser("people", help="the people list: names, logins and roles")
    sp.add_argument("--json", action="store_true")


def _calibration(sub: Any) -> None:
    """``qadesk calibration ...`` (run by :mod:`qadesk.cli_calibration`, docs/calibration.md)."""
    ca = sub.add_parser("calibration", help="calibration exercises: one audit graded blind by several auditors, "
                        "then agreed at a moderation panel")
    casub = ca.add_subparsers(dest="action", metavar="ACTION", required=True)
    cc = casub.add_parser("create", help="make an exercise from a completed audit (an anonymised copy); prints its id")
    cc.add_argument("audit", metavar="AUDIT", help="the audit's id or reference")
    cl = casub.add_parser("list", help="the exercises here, newest first")
    cl.add_argument("--json", action="store_true")
    cs = casub.add_parser("show", help="the copy to grade, the scales, who has rated (not how)")
    cs.add_argument("id", metavar="ID", help="the exercise's id or reference (CAL-2026-0001)")
    cs.add_argument("--json", action="store_true")

    def grades(p: argparse.ArgumentParser, who: str) -> None:
        p.add_argument("id", metavar="ID", help="the exercise's id or reference")
        p.add_argument("--overall", required=True, metavar="GRADE", help=f"{who} overall grade (a value of the scale)")
        p.add_argument("--section", action="append", default=[], metavar="SECTION=GRADE",
                       help=f"{who} grade of a section (repeatable)")

    cr = casub.add_parser("rate", help="record your own blind grades (the profile's person), once per exercise")
    grades(cr, "your")
    cp = casub.add_parser("pack", help="write the exercise for raters, or (from a rater's copy) the judgements back")
    cp.add_argument("id", metavar="ID", help="the exercise's id or reference")
    cp.add_argument("--to", required=True, metavar="FILE", help="the pack to write (.qapack)")
    cp.add_argument("--return", dest="judgements", action="store_true",
                    help="the ratings made on this copy, back to the QA lead (the default for a copy)")
    ci = casub.add_parser("import", help="a calibration pack: the exercise to rate, or raters' judgements back")
    ci.add_argument("file", metavar="FILE")
    cres = casub.add_parser("result", help="the spread per section and overall, the agreement across raters, each "
                            "rater against the agreed grade, the auditor's grades beside")
    cres.add_argument("id", metavar="ID", help="the exercise's id or reference")
    cres.add_argument("--json", action="store_true")
    ca_ = casub.add_parser("agree", help="record the panel's agreed grades and the notes of the discussion; closes it")
    grades(ca_, "the panel's")
    ca_.add_argument("--notes", required=True, metavar="TEXT", help="the notes of the panel's discussion")


def _sample_options(p: argparse.ArgumentParser) -> None:
    """How ``programme sample`` and ``programme allocate`` draw the sample (docs/sampling.md)."""
    g = p.add_argument_group("the sample")
    g.add_argument("--seed", required=True, type=int, metavar="S",
                   help="any whole number from 0: the same seed and options give the same sample")
    size = g.add_mutually_exclusive_group(required=True)
    size.add_argument("--per-team", type=int, metavar="N", help="N cases in each team")
    size.add_argument("--percent", type=float, metavar="P",
                      help="P%% of each team's cases that match the filters (halves round up, at least one)")
    g.add_argument("--stratify", metavar="COLUMN", help="share each team's places between its case types "
                   "(case_type) or another column's values, in proportion")
    g.add_argument("--minimum-per-stratum", type=int, default=0, metavar="M",
                   help="with --stratify: at least M per stratum, topped up from the team's other cases")
    g.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                   help="only cases whose COLUMN matches (repeatable): repeat_referral=yes, case_type=CP,CLA, "
                        "age=10..15, plan_start<=today-18m")
    g.add_argument("--exclude-audited-months", type=int, metavar="M", help="leave out cases audited in the last M months")
    g.add_argument("--team", action="append", default=[], metavar="TEAM",
                   help="only this team (repeatable; default: the programme's teams, or every team)")
    g.add_argument("--include-programme-cases", action="store_true",
                   help="keep cases that already have an audit in the programme (left out by default)")
    p.add_argument("--json", action="store_true")


def _programmes(sub: Any) -> None:
    """``qadesk programme ...`` (run by :mod:`qadesk.cli_programmes`)."""
    pg = sub.add_parser("programme", help="audit programmes: create, sample and allocate cases, follow progress")
    pgsub = pg.add_subparsers(dest="action", metavar="ACTION", required=True)
    pl = pgsub.add_parser("list", help="programmes and how far each has got")
    pl.add_argument("--json", action="store_true")
    pc = pgsub.add_parser("create", help="plan a programme; prints its name")
    pc.add_argument("--name", required=True)
    pc.add_argument("--template", metavar="ID", help="the template its audits use")
    pc.add_argument("--teams", type=_teams, default=[], metavar="TEAM,TEAM", help="the teams taking part")
    pc.add_argument("--target", type=int, metavar="N", help="audits per team (per programme without --teams)")
    pc.add_argument("--start", "--starts", dest="start", type=_iso_date, metavar="YYYY-MM-DD")
    pc.add_argument("--end", "--ends", dest="end", type=_iso_date, metavar="YYYY-MM-DD")
    pc.add_argument("--description")
    ps = pgsub.add_parser("sample", help="draw the programme's sample and show it, each case with why it was "
                          "chosen (creates nothing)")
    ps.add_argument("name", metavar="NAME")
    _sample_options(ps)
    pa = pgsub.add_parser("allocate", help="draw the sample, allocate it to auditors and create the assigned "
                          "draft audits")
    pa.add_argument("name", metavar="NAME")
    _sample_options(pa)
    pa.add_argument("--auditors", required=True, metavar='"NAME, NAME, ..."', help="who audits, comma-separated")
    pa.add_argument("--not-own-team", action="store_true", help="never an auditor from the case's own team")
    pa.add_argument("--due", type=_iso_date, metavar="YYYY-MM-DD", help="due date (default: the programme's end)")
    pst = pgsub.add_parser("status", help="assigned, started, completed, moderated per team and per auditor; "
                           "what is overdue")
    pst.add_argument("name", metavar="NAME")
    pst.add_argument("--json", action="store_true")
    prs = pgsub.add_parser("samples", help="the samples confirmed in the programme: seed, options, counts, "
                           "each case and why (for an inspector)")
    prs.add_argument("name", metavar="NAME")
    prs.add_argument("--json", action="store_true")
    pp = pgsub.add_parser("packs", help="write one pack per auditor of the draft audits assigned to them, for "
                          "laptops not on this store (importing it there files them under the programme)")
    pp.add_argument("name", metavar="NAME")
    pp.add_argument("--to", required=True, metavar="FOLDER", help="the folder the packs are written into")
    pp.add_argument("--auditor", action="append", default=[], metavar="NAME",
                    help="only this auditor's pack (repeatable; default: every auditor with a draft assigned)")
    pp.add_argument("--json", action="store_true")
    ph = pgsub.add_parser("hand-over", help="hand an assigned draft audit to another auditor")
    ph.add_argument("audit", metavar="AUDIT", help="the audit's id or reference")
    ph.add_argument("--to", required=True, metavar="NAME")
    ph.add_argument("--due", type=_iso_date, metavar="YYYY-MM-DD", help="a new due date")
    ph.add_argument("--not-own-team", action="store_true", help="refuse an auditor from the case's own team")


def _cases(sub: Any) -> None:
    """``qadesk case ...`` and ``qadesk indicators ...`` (run by :mod:`qadesk.cli_cases`)."""
    c = sub.add_parser("case", help="the case list from the case management system: import it, list its cases")
    csub = c.add_subparsers(dest="action", metavar="ACTION", required=True)
    ci = csub.add_parser("import", help="import a case list (.csv or .xlsx); a file with any bad row is refused "
                         "whole, each bad row on stderr as 'row N: reason'")
    ci.add_argument("file", metavar="FILE")
    ci.add_argument("--mapping", metavar="NAME", help="read the columns as the saved mapping NAME says")
    ci.add_argument("--check", action="store_true", help="read the file and report, storing nothing")
    cl = csub.add_parser("list", help="the cases still on the list: case_ref, case_type, team, worker, fields")
    cl.add_argument("--team", metavar="TEAM")
    cl.add_argument("--all", action="store_true", help="also the cases no longer on their list")
    cl.add_argument("--json", action="store_true")
    cm = csub.add_parser("mappings", help="the saved column mappings")
    cm.add_argument("--json", action="store_true")

    ind = sub.add_parser("indicators", help="performance data: indicators per team and month")
    isub = ind.add_subparsers(dest="action", metavar="ACTION", required=True)
    ii = isub.add_parser("import", help="import figures (.csv or .xlsx: indicator, team, period, value, target); "
                         "a file with any bad row is refused whole")
    ii.add_argument("file", metavar="FILE")
    il = isub.add_parser("list", help="the stored figures")
    il.add_argument("--indicator", metavar="NAME")
    il.add_argument("--team", metavar="TEAM")
    il.add_argument("--json", action="store_true")
