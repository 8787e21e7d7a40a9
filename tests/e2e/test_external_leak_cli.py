"""The real command line: an external pack with text that looks identifying is refused, located, unless
``--mask-suspects`` (masked) or ``--allow-suspects`` (sent as written) says what becomes of it."""

from __future__ import annotations

import json
import zipfile

import pytest

from tests.helpers import leaky
from tests.helpers.cli import run_qadesk
from tests.unit.test_external_leak import leaks


@pytest.fixture
def planted(loaded_store, data_dir):
    leaky.plant(loaded_store)
    loaded_store.close()
    return data_dir


def test_unresolved_suspects_refuse_the_export_and_say_where(planted, tmp_path):
    pack = tmp_path / "external.qapack"
    r = run_qadesk(planted, "pack", "export", "--kind", "moderation_request", "--external", "--to", str(pack))
    assert r.returncode == 1, r.stdout
    assert "look identifying and are not masked" in r.stderr and "the pack was not written" in r.stderr
    assert "--mask-suspects" in r.stderr and "--allow-suspects" in r.stderr
    assert "“Tyler” (name: a common given name)" in r.stderr
    assert "answers." in r.stderr or "summary." in r.stderr
    assert "Traceback" not in r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["store"]  # no pack, no half-written part


def test_mask_suspects_writes_a_pack_that_identifies_no_one(planted, tmp_path):
    pack = tmp_path / "external.qapack"
    r = run_qadesk(planted, "pack", "export", "--kind", "moderation_request", "--external", "--mask-suspects",
                   "--to", str(pack))
    assert r.returncode == 0, r.stderr
    assert "pseudonymised" in r.stdout
    assert leaks(pack) == []
    manifest = json.loads(zipfile.ZipFile(pack).read("manifest.json"))
    assert manifest["created_by"]["name"] is None and manifest["created_by"]["organisation"] == leaky.COUNCIL


def test_allow_suspects_sends_them_as_written_and_the_flags_need_a_pseudonymised_pack(planted, tmp_path):
    pack = tmp_path / "allowed.qapack"
    r = run_qadesk(planted, "pack", "export", "--kind", "moderation_request", "--external", "--allow-suspects",
                   "--to", str(pack))
    assert r.returncode == 0, r.stderr
    assert "Tyler" in {secret for secret, _ in leaks(pack)}
    for extra in (["--mask-suspects"], ["--external", "--identifiable", "--allow-suspects"]):
        r = run_qadesk(planted, "pack", "export", *extra, "--to", str(tmp_path / "x.qapack"))
        assert r.returncode == 2 and "go with --external" in r.stderr
    r = run_qadesk(planted, "pack", "export", "--external", "--mask-suspects", "--allow-suspects",
                   "--to", str(tmp_path / "x.qapack"))
    assert r.returncode == 2 and "not allowed with" in r.stderr
