"""Every hostile pack and template (tests/hostile/make_hostile.py) through the real import.

Service level for all of them: refused with a located message (the member, field, line, sheet or
cell the case names) or accepted as documented; never anything but qadesk's own errors; the store
file and its WAL byte-for-byte as before each refusal; peak memory (tracemalloc) under
:data:`~tests.hostile.runner.PEAK_LIMIT` for every case.  The real command line in a subprocess for
a sample (exit 1, the reason on stderr, no traceback, no control character printed, its peak RSS
bounded), and the window's pack and template import for a couple.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import traceback
import zipfile
from pathlib import Path

import pytest

from qadesk.core.errors import QadeskError
from tests.helpers.cli import ROOT
from tests.hostile.make_hostile import (
    ALL_CASES,
    PACK_CASES,
    TEMPLATE_CASES,
    Base,
    Case,
    build_base,
    where_of,
    write_case,
)
from tests.hostile.runner import PEAK_LIMIT, Outcome, run_case, store_digest

BY_NAME = {c.name: c for c in ALL_CASES}
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
RSS_LIMIT_MB = 200  # a command-line import, whole process (Python, SQLAlchemy, openpyxl, reportlab loaded)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Base, Path]:
    return build_base(tmp_path_factory.mktemp("hostile"))


def test_the_generator_makes_every_kind_the_issue_counts() -> None:
    assert len(PACK_CASES) >= 81 and len(TEMPLATE_CASES) >= 62
    assert sum(c.kind == "template-xlsx" for c in TEMPLATE_CASES) >= 30
    assert len(BY_NAME) == len(ALL_CASES)
    for needed in ("pack-doc-5000-digit-answer", "pack-doc-started-feb-30", "pack-doc-revision-2-70",
                   "pack-doc-lone-surrogate", "pack-doc-action-clash-existing", "pack-doc-moderation-clash-existing",
                   "pack-doc-id-upper-of-local", "pack-doc-id-newline", "pack-doc-escapes", "pack-doc-duplicate-key",
                   "pack-element-bomb", "json-formula-text", "xlsx-formula-label", "xlsx-billion-laughs"):
        assert needed in BY_NAME


def _describe(out: Outcome) -> str:
    if out.error is None:
        return "accepted"
    return "".join(traceback.format_exception(out.error))


def _check_accepted(case: Case, base: Base, folder: Path, out: Outcome) -> None:
    """What the documented outcome of each accepted case means, read back from the store."""
    from sqlalchemy import func, select

    from qadesk.services.audit_document import audit_document
    from qadesk.store import open_store
    from qadesk.store.models import ActionItem, Audit, Moderation

    store = open_store(folder)
    try:
        with store.session() as s:
            for model in (Audit, ActionItem, Moderation):
                ids = s.execute(select(model.id)).scalars().all()
                assert all(i == i.lower() for i in ids), f"{model.__name__}: an id not in lower case"
            for audit in s.execute(select(Audit)).scalars():
                audit_document(audit)  # every audit still reads as a document
            if case.name == "pack-doc-id-upper-of-local":
                local_id = next(iter(base.local_docs))
                assert s.execute(select(func.count()).select_from(Audit).where(
                    func.lower(Audit.id) == local_id)).scalar() == 1
                assert out.result.unchanged and not out.result.created
            if case.name == "pack-doc-revision-float":
                revision = s.execute(select(Audit.revision).where(Audit.reference == out.result.created[0])).scalar()
                assert revision == 7 and isinstance(revision, int)
            if case.name == "pack-doc-action-id-upper":
                assert out.result.created
    finally:
        store.close()
    if case.name == "pack-twice":
        from qadesk.services.packs import import_pack

        store = open_store(folder)
        try:
            before = store_digest(folder)
            again = import_pack(store, folder.parent / "in" / f"{case.name}{case.suffix}")
            assert again.already_imported and not again.changed
            assert store_digest(folder) == before
        finally:
            store.close()


@pytest.mark.parametrize("case", ALL_CASES, ids=[c.name for c in ALL_CASES])
def test_every_hostile_file_is_refused_where_it_is_or_taken_as_documented(case: Case, world, tmp_path) -> None:
    base, target = world
    out = run_case(case, base, target, tmp_path)
    assert out.error is None or isinstance(out.error, QadeskError), _describe(out)
    if case.expect == "refused":
        assert out.error is not None, f"{case.name} ({case.tries}) was accepted"
        message = str(out.error)
        for fragment in where_of(case, base):
            assert fragment in message, f"{fragment!r} not in the refusal: {message}"
        assert not out.changed, "the store changed although the file was refused"
    else:
        assert out.error is None, _describe(out)
        _check_accepted(case, base, tmp_path / "store", out)
    assert out.peak < PEAK_LIMIT, f"{out.peak / 2**20:.1f} MB"


# ------------------------------------------------------------------------ the real command line

CLI_SAMPLE = ["pack-element-bomb", "pack-zip-bomb-ratio", "pack-doc-5000-digit-answer", "pack-doc-revision-2-70",
              "pack-doc-started-feb-30", "pack-doc-lone-surrogate", "pack-doc-action-clash-existing",
              "pack-manifest-duplicate-key", "pack-doc-id-newline", "pack-path-dotdot",
              "json-lone-surrogate", "json-duplicate-key", "xlsx-billion-laughs", "xlsx-shared-strings-bomb",
              "pack-doc-escapes", "pack-manifest-escapes-sender", "json-escapes-in-title"]
# The child's own peak: VmHWM of its address space (ru_maxrss would count the forked pytest's RSS too).
_RSS_WRAPPER = ("import atexit, os, resource, runpy, sys\n"
                "def peak():\n"
                "    try:\n"
                "        for line in open('/proc/self/status'):\n"
                "            if line.startswith('VmHWM:'):\n"
                "                return int(line.split()[1])\n"
                "    except OSError:\n"
                "        pass\n"
                "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // (1024 if sys.platform == 'darwin' else 1)\n"
                "atexit.register(lambda: open(os.environ['HOSTILE_RSS'], 'w').write(str(peak())))\n"
                "sys.argv = ['qadesk', *sys.argv[1:]]\n"
                "runpy.run_module('qadesk', run_name='__main__', alter_sys=True)\n")


def _qadesk_measured(data_dir: Path, rss_file: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """The real ``python -m qadesk`` in a subprocess; with its peak RSS in MB (Linux: ru_maxrss is KB)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QADESK_PASSPHRASE")}
    env["HOSTILE_RSS"] = str(rss_file)
    proc = subprocess.run([sys.executable, "-c", _RSS_WRAPPER, "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=120, cwd=ROOT)
    kb = int(rss_file.read_text()) if rss_file.exists() else 0
    return proc, kb // 1024


def _assert_printable(text: str) -> None:
    found = CONTROL.findall(text)
    assert not found, f"control characters reached the terminal: {found!r} in {text[:500]!r}"


@pytest.mark.parametrize("name", CLI_SAMPLE)
def test_the_command_line_refuses_or_imports_and_prints_nothing_raw(name: str, world, tmp_path) -> None:
    base, target = world
    case = BY_NAME[name]
    folder = tmp_path / "store"
    shutil.copytree(target, folder)
    path = write_case(case, base, tmp_path / "in")
    before = store_digest(folder)
    command = ("pack", "import") if case.kind == "pack" else ("template", "import")
    proc, rss = _qadesk_measured(folder, tmp_path / "rss", *command, str(path))
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    _assert_printable(output)
    assert rss < RSS_LIMIT_MB, f"{rss} MB"
    print(f"\n{name}: exit {proc.returncode}, peak RSS {rss} MB")
    if case.expect == "refused":
        assert proc.returncode == 1, output
        for fragment in where_of(case, base):
            assert fragment.encode("unicode_escape").decode() in proc.stderr or fragment in proc.stderr, proc.stderr
        assert store_digest(folder) == before
        return
    assert proc.returncode == 0, output
    listing = ("audit", "list") if case.kind == "pack" else ("template", "list")
    for extra in ((), ("--json",)):
        shown, _ = _qadesk_measured(folder, tmp_path / "rss2", *listing, *extra)
        assert shown.returncode == 0, shown.stderr
        _assert_printable(shown.stdout + shown.stderr)
        if extra:
            import json

            json.loads(shown.stdout)  # escaped the JSON way: still valid JSON
    if name == "pack-doc-escapes":
        assert "Team\\x1b[2J" in shown.stdout or "Team\\u001b[2J" in shown.stdout
    if name == "pack-manifest-escapes-sender":
        assert "Mallory\\x1b" in proc.stdout, proc.stdout
    if name == "json-escapes-in-title":
        plain, _ = _qadesk_measured(folder, tmp_path / "rss3", "template", "list")
        assert "Audit\\x1b[2J" in plain.stdout and "\\u202eevil" in plain.stdout, plain.stdout


def test_printable_shows_every_control_character_and_keeps_the_rest() -> None:
    from qadesk.cli_support import printable

    assert printable("Team\x1b[2J\x07") == "Team\\x1b[2J\\x07"
    assert printable("a\u202eb\u2066c\x9bd\x7f") == "a\\u202eb\\u2066c\\x9bd\\x7f"
    assert printable("line\tone\nline two — Zoë 😀") == "line\tone\nline two — Zoë 😀"
    assert printable("lone \ud800 surrogate") == "lone \\ud800 surrogate"


# ------------------------------------------------------------------------ Excel writes text as text


def test_template_export_writes_formula_text_as_quoted_text(world, tmp_path) -> None:
    """A label that starts with = + - @ tab (OWASP's list) is a text cell with Excel's quote prefix."""
    from openpyxl import load_workbook

    from qadesk.exchange.templates import read_template, write_template

    base, _ = world
    source = write_case(BY_NAME["json-formula-text"], base, tmp_path)
    template = read_template(source)
    out = write_template(template, tmp_path / "out.xlsx")
    wb = load_workbook(out)
    risky = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@", "\t"))
             and ws.title != "types"]
    assert {c.value for c in risky} >= {'=HYPERLINK("http://x","Click")', "+SUM(1,2)", "-2+3", "@cmd", "\t=1+1"}
    for c in risky:
        assert c.data_type == "s" and c.quotePrefix, (c.coordinate, c.value)
    with zipfile.ZipFile(out) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(b"<f>" in x and b"HYPERLINK" in x for x in sheets)  # no formula element anywhere
    assert read_template(out).fingerprint() == template.fingerprint()  # and the text reads back unchanged


def test_every_xlsx_writer_writes_formula_text_as_text(tmp_path, loaded_store) -> None:
    """The Excel return and the agency return quote-prefix user text that starts like a formula too."""
    from openpyxl import load_workbook

    from qadesk.services import audits as svc
    from qadesk.services.agency import export_returns
    from qadesk.services.queries import Selection
    from qadesk.services.reporting import write_report
    from tests.helpers.exports import fill_audit, set_up_people

    formula = '=HYPERLINK("http://x","y")'
    with loaded_store.transaction() as s:
        set_up_people(s)
        first = fill_audit(s, "regular-case-audit", practitioner=formula)
        multi = fill_audit(s, "multi-agency-audit", practitioner="=cmd|' /C calc'!A0", submit=False)
        svc.add_action(s, first, "@SUM(1,2) chase the plan", actor="Test Auditor", owner="-2+3")
        t = svc.template_for(svc.get_audit(s, multi))
        q = next(q for sec in t.sections if sec.agency for q in sec.questions if q.evidence != "none")
        svc.save_answer(s, multi, q.id, q.choices[0].value, actor="Test Auditor", evidence="=2+2 seen at home")
    ret = write_report(loaded_store, tmp_path / "return.xlsx", Selection())
    wb = load_workbook(ret)
    risky = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@"))]
    assert any("HYPERLINK" in c.value for c in risky) and any(c.value.startswith("@SUM") for c in risky)
    for c in risky:
        assert c.data_type == "s" and c.quotePrefix, (c.parent.title, c.coordinate, c.value)
    with loaded_store.session() as s:
        paths = export_returns(s, multi, tmp_path)
    quoted = 0
    for path in paths:
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")) and c.data_type != "f":
                        assert c.quotePrefix, (path.name, c.coordinate, c.value)
                        quoted += 1
                    if c.data_type == "f":  # only qadesk's own drop-down formulas, never user text
                        raise AssertionError(f"{path.name}!{c.coordinate} is a formula: {c.value}")
    assert quoted, "no agency return held the evidence note that starts with '='"


# ------------------------------------------------------------------------ the window's import


@pytest.mark.gui
@pytest.mark.parametrize("name", ["pack-doc-started-feb-30", "pack-doc-action-clash-existing", "pack-element-bomb"])
def test_the_window_reports_a_hostile_pack_and_changes_nothing(name, world, tmp_path, qtbot, messages_seen) -> None:
    from qadesk.store import open_store
    from qadesk.ui.context import AppContext
    from qadesk.ui.reports_view import ReportsView

    base, target = world
    case = BY_NAME[name]
    folder = tmp_path / "store"
    shutil.copytree(target, folder)
    path = write_case(case, base, tmp_path / "in")
    store = open_store(folder)
    try:
        view = ReportsView(AppContext(store, None))
        qtbot.addWidget(view)
        view.show()
        view.ops.wait()
        before = store_digest(folder)
        messages_seen.clear()
        view.import_file(path)
        view.ops.wait()
        shown = [m for m in messages_seen if m.level != "question"]
        assert shown, "nothing was shown"
        text = "\n".join(f"{m.text}\n{m.detail or ''}" for m in shown)
        for fragment in where_of(case, base):
            assert fragment in text, text
        assert "Traceback" not in text
        assert store_digest(folder) == before
    finally:
        view.ops.wait()
        store.close()


@pytest.mark.gui
@pytest.mark.parametrize("name", ["json-lone-surrogate", "xlsx-version-inf", "json-duplicate-key"])
def test_the_window_lists_a_hostile_templates_problems(name, world, tmp_path, qtbot) -> None:
    from qadesk.store import open_store
    from qadesk.ui.context import AppContext
    from qadesk.ui.templates_dialogs import ImportReportDialog

    base, target = world
    case = BY_NAME[name]
    folder = tmp_path / "store"
    shutil.copytree(target, folder)
    path = write_case(case, base, tmp_path / "in")
    store = open_store(folder)
    try:
        dialog = ImportReportDialog(AppContext(store, None), path)
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.template is None and dialog.problems
        assert not dialog.import_button.isEnabled()
        text = "\n".join(dialog.problems)
        for fragment in where_of(case, base):
            assert fragment in text, text
    finally:
        store.close()
