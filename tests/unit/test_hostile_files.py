"""Hostile template files: refused quickly, cheaply, with the limit named, and nothing else escapes.

Includes the CI part of the fuzz harness (hypothesis, bounded): the JSON
loader, the Excel loader and the expression parser raise nothing but the
project's ValidationError.  tests/fuzz/ has the atheris version to run by hand.
"""

from __future__ import annotations

import contextlib
import io
import json
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qadesk.core.errors import LimitError, ValidationError
from qadesk.core.expressions import parse
from qadesk.exchange.template_json import read_template_json, template_from_json_bytes
from qadesk.exchange.template_xlsx import read_template_xlsx, write_template_xlsx
from qadesk.exchange.templates import read_template
from tests.conftest import FORMS

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')


def _refused_fast(load: Callable[[], object], fragment: str) -> ValidationError:
    """Refused with ``fragment`` in the reason, in bounded memory (how fast is a benchmark's figure)."""
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as info:
            load()
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert fragment in str(info.value), str(info.value)
    assert peak < 40 * 1024 * 1024, peak
    return info.value


@pytest.fixture(scope="module")
def good_xlsx(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("x") / "good.xlsx"
    write_template_xlsx(read_template_json(FORMS / "regular-case-audit.json"), path)
    return path.read_bytes()


def _rezip(source: bytes, replace: dict[str, bytes], extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info.filename)))
        for name, data in (extra or {}).items():
            zout.writestr(name, data)
    return out.getvalue()


def test_zip_bomb_is_refused_by_its_ratio(tmp_path: Path, good_xlsx: bytes) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(good_xlsx)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as z, z.open("xl/media/zeros.bin", "w") as fh:
        chunk = bytes(1 << 20)
        for _ in range(40):
            fh.write(chunk)
    err = _refused_fast(lambda: read_template_xlsx(path), "to 1; the limit is 250 to 1")
    assert isinstance(err, LimitError)


def test_billion_laughs_sheet_is_refused(tmp_path: Path, good_xlsx: bytes) -> None:
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(_rezip(good_xlsx, {"xl/worksheets/sheet1.xml": LAUGHS}))
    _refused_fast(lambda: read_template_xlsx(path), "entity tricks")


def test_billion_laughs_behind_a_long_comment_is_refused_by_defusedxml(tmp_path: Path, good_xlsx: bytes) -> None:
    hidden = LAUGHS.replace(b"\n<!DOCTYPE", b"\n<!--" + b"x" * 70_000 + b"-->\n<!DOCTYPE", 1)
    path = tmp_path / "laughs2.xlsx"
    path.write_bytes(_rezip(good_xlsx, {"xl/worksheets/sheet1.xml": hidden}))
    _refused_fast(lambda: read_template_xlsx(path), "could not be read")


@pytest.mark.parametrize(("name", "fragment"), [("../../evil.txt", "climbs out"), ("/etc/evil", "absolute path"),
                                                ("C:/evil", "absolute path")])
def test_paths_escaping_the_archive_are_refused(tmp_path: Path, good_xlsx: bytes, name: str, fragment: str) -> None:
    path = tmp_path / "escape.xlsx"
    path.write_bytes(_rezip(good_xlsx, {}, {name: b"boo"}))
    _refused_fast(lambda: read_template_xlsx(path), fragment)


def test_links_in_the_archive_are_refused(tmp_path: Path, good_xlsx: bytes) -> None:
    path = tmp_path / "link.xlsx"
    path.write_bytes(good_xlsx)
    with zipfile.ZipFile(path, "a") as z:
        info = zipfile.ZipInfo("xl/link")
        info.external_attr = (0o120777 << 16)
        z.writestr(info, "/etc/passwd")
    _refused_fast(lambda: read_template_xlsx(path), "is a link")


def test_too_many_members_and_too_large_files_name_the_limit(tmp_path: Path, good_xlsx: bytes) -> None:
    many = tmp_path / "many.xlsx"
    many.write_bytes(_rezip(good_xlsx, {}, {f"xl/junk/{i}.txt": b"" for i in range(2001)}))
    assert isinstance(_refused_fast(lambda: read_template_xlsx(many), "the limit is 2,000"), LimitError)
    big = tmp_path / "big.xlsx"
    with big.open("wb") as fh:
        fh.truncate(60 * 1024 * 1024)  # sparse: costs no disk
    _refused_fast(lambda: read_template_xlsx(big), "the limit is 52,428,800 bytes")


def test_hostile_json_names_the_limit(tmp_path: Path) -> None:
    deep = b"[" * 5000 + b"]" * 5000
    _refused_fast(lambda: template_from_json_bytes(deep), "nested more than 20 levels")
    _refused_fast(lambda: template_from_json_bytes(b'{"version": NaN}'), "NaN")
    huge = json.dumps({"format": "qadesk-template/1", "id": "x", "version": 10**400}).encode()
    _refused_fast(lambda: template_from_json_bytes(huge), "version")
    big = tmp_path / "big.json"
    with big.open("wb") as fh:
        fh.truncate(6 * 1024 * 1024)
    _refused_fast(lambda: read_template(big), "the limit for a template is 5,242,880 bytes")


def test_a_json_file_with_an_xlsx_name_is_refused_cleanly(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("{}")
    _refused_fast(lambda: read_template(fake), "not a readable zip archive")


# ----------------------------------------------------------------------------- fuzz (CI part)

@FUZZ
@given(data=st.binary(max_size=2000))
def test_fuzz_json_loader_bytes(data: bytes) -> None:
    with contextlib.suppress(ValidationError):
        template_from_json_bytes(data)


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                   max_size=4), max_leaves=30)


@FUZZ
@given(key=st.sampled_from(["id", "version", "kind", "lists", "overall", "sections", "title", "theme"]),
       value=JSONISH, where=st.integers(0, 6))
def test_fuzz_json_loader_structure(key: str, value: object, where: int) -> None:
    data = json.loads((FORMS / "supervision-audit.json").read_text())
    target = data
    if where and key in ("sections",):
        target = data["sections"][where % len(data["sections"])]["questions"][0]
        key = ["id", "type", "list", "choices", "min", "max", "relevant"][where]
    target[key] = value
    with contextlib.suppress(ValidationError):
        template_from_json_bytes(json.dumps(data).encode())


@FUZZ
@given(text=st.text(max_size=200) | st.from_regex(r"[\$\{\}a-z0-9_ '=!<>().,-]{0,80}", fullmatch=True))
def test_fuzz_expression_parser(text: str) -> None:
    try:
        expr = parse(text)
    except ValidationError:
        return
    with contextlib.suppress(ValidationError):
        expr.evaluate({"a": "1", "b": ["x"]}, current="2")


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(member=st.sampled_from(["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml",
                               "xl/workbook.xml", "xl/sharedStrings.xml", "[Content_Types].xml", "xl/styles.xml"]),
       position=st.floats(0, 1), junk=st.binary(max_size=40) | st.sampled_from(
           [b"<", b"&lol;", b"</c>", b"<row r=\"99999999999\">", b'<c r="ZZZZ1" t="n"><v>1e999</v></c>',
            b'<c r="A1" t="s"><v>999999</v></c>', b"\x00", b'<row r="1"><c r="A1"><v>x</v></c></row>']),
       cut=st.booleans())
def test_fuzz_excel_loader(tmp_path: Path, good_xlsx: bytes, member: str, position: float, junk: bytes,
                           cut: bool) -> None:
    with zipfile.ZipFile(io.BytesIO(good_xlsx)) as z:
        names = z.namelist()
        if member not in names:
            member = names[0]
        original = z.read(member)
    at = int(len(original) * position)
    mutated = original[:at] + junk + (original[at + len(junk):] if cut else original[at:])
    path = tmp_path / "fuzz.xlsx"
    path.write_bytes(_rezip(good_xlsx, {member: mutated}))
    with contextlib.suppress(ValidationError):
        read_template_xlsx(path)
