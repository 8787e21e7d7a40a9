"""Where the shipped folders are found: the PyInstaller app's unpacked bundle, else the checkout.

The third place, an installed package's ``qadesk/_bundle/``, is proved by installing the real wheel
(tests/e2e/test_wheel.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qadesk.core.bundle import bundle_path, bundle_root

ROOT = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_the_folders_at_the_top_of_the_repository() -> None:
    assert not (ROOT / "qadesk" / "_bundle").exists()  # only a build makes one (and .gitignore keeps it out)
    assert bundle_root() == ROOT
    assert (bundle_path("forms") / "regular-case-audit.json").is_file()
    assert (bundle_path("docs", "schemas") / "pack-manifest.schema.json").is_file()
    assert (bundle_path("resources") / "style.qss").is_file()


def test_the_pyinstaller_app_reads_its_unpacked_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # qadesk.spec puts forms/, resources/ and docs/schemas/ at the root of sys._MEIPASS.
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert bundle_root() == tmp_path and bundle_path("forms") == tmp_path / "forms"


def test_spec_and_package_data_ship_the_same_resource_files() -> None:
    """qadesk.spec and pyproject.toml list the resources file by file: the two lists agree."""
    import re

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    spec = (ROOT / "qadesk.spec").read_text(encoding="utf-8")
    in_spec = set(re.findall(r'ROOT / "resources"((?: / "[^"]+")+)', spec))
    spec_patterns = {"/".join(re.findall(r'"([^"]+)"', m)) for m in in_spec}
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    wheel_patterns = data["tool"]["setuptools"]["package-data"]["qadesk._bundle.resources"]

    def files(patterns: set[str] | list[str]) -> set[Path]:
        found: set[Path] = set()
        for p in patterns:
            target = ROOT / "resources" / p
            found |= {f for f in target.rglob("*") if f.is_file()} if target.is_dir() else set(
                (ROOT / "resources").glob(p))
        return found

    assert files(spec_patterns) == files(wheel_patterns) and files(wheel_patterns)


def test_the_name_lists_are_package_data_and_in_the_spec() -> None:
    """qadesk.core.identifiers reads qadesk/core/namelists/*.txt: pyproject.toml ships them, qadesk.spec bundles them."""
    tomllib = pytest.importorskip("tomllib")
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "core/namelists/*.txt" in data["tool"]["setuptools"]["package-data"]["qadesk"]
    spec = (ROOT / "qadesk.spec").read_text(encoding="utf-8")
    assert '(str(ROOT / "qadesk" / "core" / "namelists" / "*.txt"), "qadesk/core/namelists")' in spec
    lists = sorted(p.name for p in (ROOT / "qadesk" / "core" / "namelists").glob("*.txt"))
    assert lists == ["forenames.txt", "ordinary_words.txt", "surnames.txt"]
