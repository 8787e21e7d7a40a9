#!/usr/bin/env bash
# Build the installable app (PyInstaller, one folder: dist/qadesk/) and prove it works.
#
#   pip install -e '.[build]' && tools/build_app.sh          # build, then the smoke checks
#   tools/build_app.sh --no-build                             # only the checks, on an existing build
#
# Every check runs the built program itself (not the source checkout), offscreen, on throw-away
# data folders with made-up data. Exit status: 0 when the build and every check passed, 1 otherwise.
set -u -o pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
APP="$ROOT/dist/qadesk/qadesk"
BUNDLE="$ROOT/dist/qadesk/_internal"
PYTHON="${PYTHON:-python3}"
export QT_QPA_PLATFORM=offscreen
# Keep the checks away from the user's own store, settings and logs.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/qadesk-build-check.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
export HOME="$WORK/home" QADESK_DATA_DIR="$WORK/default-store"
mkdir -p "$HOME"
unset QADESK_DATABASE_URL QADESK_PASSPHRASE

if [[ "${1:-}" != "--no-build" ]]; then
    if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
        echo "PyInstaller is missing: pip install -e '.[build]'" >&2
        exit 1
    fi
    echo "== building dist/qadesk (log: build/pyinstaller.log)"
    mkdir -p build
    start=$(date +%s)
    if ! "$PYTHON" -m PyInstaller --noconfirm --log-level WARN qadesk.spec >build/pyinstaller.log 2>&1; then
        tail -30 build/pyinstaller.log >&2
        echo "FAILED: the build (see build/pyinstaller.log)" >&2
        exit 1
    fi
    echo "built in $(( $(date +%s) - start )) s"
fi
if [[ ! -x "$APP" ]]; then
    echo "FAILED: $APP does not exist; build first" >&2
    exit 1
fi
echo "dist/qadesk: $(du -sh dist/qadesk | cut -f1)"

FAILURES=0
OUT="$WORK/out.txt"
# check NAME EXPECTED_STATUS COMMAND...: run it, keep its output in $OUT, report ok or FAILED.
check() {
    local name="$1" want="$2"
    shift 2
    "$@" >"$OUT" 2>&1
    local got=$?
    if [[ "$got" == "$want" ]]; then
        echo "ok      $name"
        return 0
    fi
    echo "FAILED  $name (exit $got, expected $want)"
    sed 's/^/        /' "$OUT" | tail -20
    FAILURES=$((FAILURES + 1))
    return 1
}
# expect NAME TEXT: the last command's output contains TEXT.
expect() {
    if grep -qF -- "$2" "$OUT"; then
        echo "ok      $1"
    else
        echo "FAILED  $1 (no \"$2\" in the output)"
        sed 's/^/        /' "$OUT" | tail -20
        FAILURES=$((FAILURES + 1))
    fi
}

VERSION="$("$PYTHON" -c 'import qadesk; print(qadesk.__version__)')"
check "--version" 0 "$APP" --version && expect "--version says $VERSION" "qadesk $VERSION"

FORMS=("$BUNDLE"/forms/*.json)
check "template validate (${#FORMS[@]} bundled forms)" 0 "$APP" --data-dir "$WORK/validate" template validate "${FORMS[@]}"
[[ ${#FORMS[@]} -eq 7 ]] || { echo "FAILED  the bundle holds ${#FORMS[@]} forms, not 7"; FAILURES=$((FAILURES + 1)); }

check "--self-test (the window, offscreen)" 0 "$APP" --self-test && expect "self-test passed" "self-test passed"

STORE="$WORK/demo"
check "demo-data --audits 20" 0 "$APP" --data-dir "$STORE" demo-data --audits 20 && expect "demo-data made 20 audits" "Made 20 demo audits"

# Alembic ran the bundled migration scripts on the new store: it stands at the newest revision.
# The head is the one revision no other migration names as its down_revision.
HEAD="$("$PYTHON" - "$BUNDLE/qadesk/store/migrations/versions" <<'PY'
import re, sys
from pathlib import Path
found = [dict(re.findall(r"^(revision|down_revision)\s*=\s*['\"]?([^'\"\s]+)", p.read_text(), re.M))
         for p in Path(sys.argv[1]).glob("*.py")]
heads = {f["revision"] for f in found} - {f.get("down_revision") for f in found}
print(heads.pop() if len(heads) == 1 else "")
PY
)"
STORED="$("$PYTHON" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select version_num from alembic_version").fetchone()[0])' "$STORE/qadesk.sqlite" 2>&1)"
if [[ -n "$HEAD" && "$STORED" == "$HEAD" ]]; then
    echo "ok      migrations: the new store stands at revision $STORED"
else
    echo "FAILED  migrations: the store stands at '$STORED', the newest migration is '$HEAD'"
    FAILURES=$((FAILURES + 1))
fi

check "history verify" 0 "$APP" --data-dir "$STORE" history verify && expect "history intact" "intact"

# Packs: export from the demo store, import into a new one (the importer checks the JSON schemas).
PACK="$WORK/transfer.qapack"
check "pack export" 0 "$APP" --data-dir "$STORE" pack export --kind audit_transfer --to "$PACK"
check "pack import into a new store" 0 "$APP" --data-dir "$WORK/imported" pack import "$PACK" && expect "pack import: 20 new audits" "new audits: 20"

# Reports: a PDF (reportlab, fonts and charts) and the Excel return (openpyxl).
PDF="$WORK/report.pdf"
if check "report --to report.pdf" 0 "$APP" --data-dir "$STORE" report --to "$PDF"; then
    if [[ "$(head -c 5 "$PDF")" == "%PDF-" && $(wc -c <"$PDF") -gt 5000 ]] && tail -c 32 "$PDF" | grep -q '%%EOF'; then
        echo "ok      the PDF is whole ($(wc -c <"$PDF") bytes)"
    else
        echo "FAILED  the PDF is not a whole PDF file"
        FAILURES=$((FAILURES + 1))
    fi
fi
XLSX="$WORK/return.xlsx"
if check "report --to return.xlsx" 0 "$APP" --data-dir "$STORE" report --to "$XLSX"; then
    if [[ "$(head -c 2 "$XLSX")" == "PK" ]]; then
        echo "ok      the workbook is a zip file ($(wc -c <"$XLSX") bytes)"
    else
        echo "FAILED  the workbook is not a zip file"
        FAILURES=$((FAILURES + 1))
    fi
fi

# The encrypted store (sqlcipher3 and argon2 in the bundle).
SECRET="$WORK/secret"
PASS="made-up passphrase for the build check"
check "template import (store to encrypt)" 0 "$APP" --data-dir "$SECRET" template import "${FORMS[@]}"
check "store encrypt" 0 env QADESK_PASSPHRASE="$PASS" "$APP" --data-dir "$SECRET" store encrypt
check "template list on the encrypted store" 0 env QADESK_PASSPHRASE="$PASS" "$APP" --data-dir "$SECRET" template list \
    && expect "the encrypted store lists regular-case-audit" "regular-case-audit"
check "template list refused without the passphrase" 1 "$APP" --data-dir "$SECRET" template list </dev/null
if [[ "$(head -c 15 "$SECRET/qadesk.sqlite")" != "SQLite format 3" ]]; then
    echo "ok      the store file is not readable as plain SQLite"
else
    echo "FAILED  the store file still starts with the plain SQLite header"
    FAILURES=$((FAILURES + 1))
fi

# No display: one plain line and exit 1 (qadesk.ui.platform_check), not Qt's abort and core dump.
check "no display: exit 1" 1 env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM=xcb "$APP" \
    && expect "no display: one plain line" "qadesk cannot open its window: no X display found (DISPLAY is not set)"
if [[ $(wc -l <"$OUT") -ne 1 ]]; then
    echo "FAILED  no display: the message is $(wc -l <"$OUT") lines, not one"
    FAILURES=$((FAILURES + 1))
fi

# The X11 platform plugin, when a virtual display is at hand (xvfb-run): the window on xcb.
if command -v xvfb-run >/dev/null 2>&1; then
    check "--self-test on X11 (xvfb-run, xcb plugin)" 0 xvfb-run -a env QT_QPA_PLATFORM=xcb "$APP" --self-test
else
    echo "skipped --self-test on X11 (no xvfb-run)"
fi

if [[ $FAILURES -gt 0 ]]; then
    echo "$FAILURES check(s) FAILED"
    exit 1
fi
echo "all checks passed"
