"""The leak test: an external pack of audits whose free text holds every identifier variant holds none of them.

The audits come from tests/helpers/leaky.py (every variant, in evidence notes, answers, the summary and
reflections, rationales, actions, who was told, a moderation, the subject and the programme's name).
Each member is read back the way its reader would: the JSON documents and the manifest as JSON text,
report.pdf through pypdf, returns.xlsx cell by cell through openpyxl.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pypdf
import pytest
from openpyxl import load_workbook

from qadesk.services.packs import Resolution, UnresolvedSuspects, export_pack, preview_pseudonymisation
from qadesk.services.queries import Selection
from tests.helpers import leaky
from tests.helpers.exports import dump_store


def pack_texts(path: Path) -> dict[str, str]:
    """Every member of a pack as the text its reader sees (whitespace collapsed, as PDF lines break anywhere)."""
    out: dict[str, str] = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            data = z.read(name)
            if name.endswith(".json"):
                text = json.dumps(json.loads(data), ensure_ascii=False)
            elif name.endswith(".pdf"):
                text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
            elif name.endswith(".xlsx"):
                wb = load_workbook(io.BytesIO(data))
                text = "\n".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row
                                 if c is not None)
            else:
                text = data.decode("utf-8", "replace")
            out[name] = " ".join(text.split())
    return out


def leaks(path: Path, secrets: list[str] = leaky.SECRETS) -> list[tuple[str, str]]:
    """(secret, member) for every secret found in a member, as a whole word, in any case."""
    found = []
    for name, text in pack_texts(path).items():
        folded = text.casefold()
        for secret in secrets:
            if re.search(rf"(?<![\w]){re.escape(' '.join(secret.split()).casefold())}(?![\w])", folded):
                found.append((secret, name))
    return found


@pytest.fixture
def planted(loaded_store):
    return loaded_store, leaky.plant(loaded_store)


def test_the_generator_plants_every_variant(planted, tmp_path):
    store, ids = planted
    path = tmp_path / "inside.qapack"
    export_pack(store, path, kind="moderation_request", selection=Selection())  # identifiable, within the council
    docs = " ".join(t for n, t in pack_texts(path).items() if n.startswith("audits/"))
    missing = [text for _, text in leaky.VARIANTS if text not in docs]
    assert not missing
    assert leaky.PROGRAMME in docs and len(ids) == 3


def test_the_preview_masks_what_the_store_knows_and_lists_the_rest(planted):
    store, _ids = planted
    preview = preview_pseudonymisation(store, Selection())
    assert {s.kind for s in preview.suspects} >= leaky.KINDS_FOUND
    found = {s.text for s in preview.suspects}
    # What nobody told the store about is a suspect...
    for text in ("Tyler", "Poppy", "Mrs Hargreaves", "P. Lindqvist", "T Kowalski", "Zephyrine Qwertz", "LCS-778812",
                 "14/10/2019", "4 June 2019", "SW1A 1AA", "m1 1ae", "401 023 2102", "07700900123",
                 "+44 (0)20 7946 0018", "(0161) 496 0000", "kelly.okoro@example.org"):
        assert text in found, text
    # ...what it knows is masked, and is not one.
    for text in ("Jayden", "Okoro", "J. Okoro", "CR104233", "104233", "104299", "12/03/2015", "12 March 2015",
                 "March 2015", "943 476 5919", "9434765919", "943-476-5919", leaky.PRACTITIONER, "Gatehouse",
                 leaky.TEAM_MEMBER):
        assert text not in found, text
    masked = " ".join(c[3] for c in preview.changes)
    for mask in ("[child]", "[mother]" if "[mother]" in masked else "[name]", "[foster carer]", "[teacher]",
                 "[date of birth]", "CASE-0001", "CASE-0002", "Practitioner A"):
        assert mask in masked, mask
    assert all(s.context.count("«") == 1 for s in preview.suspects)


def test_an_external_pack_with_suspects_nobody_decided_about_is_refused_and_nothing_is_written(planted, tmp_path):
    store, _ids = planted
    before = dump_store(store)
    path = tmp_path / "external.qapack"
    with pytest.raises(UnresolvedSuspects) as refused:
        export_pack(store, path, kind="moderation_request", selection=Selection(), external=True)
    message = str(refused.value)
    assert "look identifying and are not masked" in message and "Tyler" in message
    assert re.search(r"AUD-\d{4}-\d{4} (answers|summary|overall|actions|moderations|programme)", message)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store"]  # no pack, no half-written part
    assert dump_store(store) == before


def test_the_leak_test_an_external_pack_holds_no_identifier_in_any_member(planted, tmp_path):
    store, ids = planted
    path = tmp_path / "external.qapack"
    result = export_pack(store, path, kind="moderation_request", selection=Selection(), external=True,
                         resolution=Resolution(rest="mask"))
    assert result.pseudonymised and result.audits == 3
    assert leaks(path) == []
    texts = pack_texts(path)
    manifest = json.loads(zipfile.ZipFile(path).read("manifest.json"))
    assert manifest["created_by"] == {"name": None, "role": "QA lead", "organisation": leaky.COUNCIL}
    docs = " ".join(t for n, t in texts.items() if n.startswith("audits/"))
    for mask in ("[child]", "[foster carer]", "[date of birth]", "[name]", "[date]", "[case reference]",
                 "[postcode]", "[NHS number]", "[phone number]", "[email address]", "CASE-0001"):
        assert mask in docs, mask
    assert "[child]" in texts["report.pdf"] and "[child]" in texts["returns.xlsx"]


def test_one_by_one_decisions_mask_or_keep_each_suspect(planted, tmp_path):
    store, _ids = planted
    preview = preview_pseudonymisation(store, Selection())
    keys = {s.key for s in preview.suspects}
    keep = {"tyler"}
    path = tmp_path / "decided.qapack"
    export_pack(store, path, kind="moderation_request", selection=Selection(), external=True,
                resolution=Resolution(mask=frozenset(keys - keep), keep=frozenset(keep)))
    found = {secret for secret, _ in leaks(path)}
    assert found == {"Tyler"}  # judged not identifying, so sent as written; everything else masked


def test_allowing_the_suspects_sends_them_as_written(planted, tmp_path):
    store, _ids = planted
    path = tmp_path / "allowed.qapack"
    export_pack(store, path, kind="moderation_request", selection=Selection(), external=True,
                resolution=Resolution(rest="keep"))
    found = {secret for secret, _ in leaks(path)}
    assert {"Tyler", "kelly.okoro@example.org", "SW1A 1AA"} <= found
    # What the store knows is masked whatever was decided about the rest (the email, kept, holds "okoro").
    known = {"Jayden", "J. Okoro", "CR-104233", "104233", "12/03/2015", leaky.PRACTITIONER, leaky.EXPORTER}
    assert not {(secret, member) for secret, member in leaks(path) if secret in known}
