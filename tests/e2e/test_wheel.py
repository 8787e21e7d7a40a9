"""``pip install .`` gives a working program: the sdist and the wheel carry forms/, resources/ and
the JSON schemas, and the installed ``qadesk`` runs from a fresh virtual environment.

The checkout is copied (without its .venv, build/ and caches), an sdist is built from the copy with
setuptools' PEP 517 hooks, the wheel is built by pip from the unpacked sdist (so whatever the sdist
forgets, the wheel lacks too), and installed with ``--no-deps`` into a new virtual environment. The
dependencies come from this test run's own site-packages through a .pth file, which adds the folders
to sys.path without running their .pth files, so the editable install of the checkout stays out: the
``qadesk`` that runs is the wheel's, from a working folder outside the checkout (checked). No network:
pip is told ``--no-index`` and ``--no-build-isolation``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_FORMS = sorted(p.name for p in (ROOT / "forms").glob("*.json"))
SCHEMAS = sorted(p.name for p in (ROOT / "docs" / "schemas").glob("*.json"))
RESOURCES = ["resources/style.qss", "resources/icon.svg", "resources/icon.ico", "resources/demo/words.json",
             "resources/icons/arrow-down.svg", "resources/icons/qadesk-64.png"]
LEFT_OUT = {".venv", ".git", "build", "dist", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
            ".hypothesis", "qadesk.egg-info", "_bundle"}

pytestmark = pytest.mark.slow


def _run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None,
         ) -> subprocess.CompletedProcess[str]:
    r = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL, timeout=300)
    assert r.returncode == 0, f"{args} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else ""))


class Installed:
    def __init__(self, root: Path, sdist: Path, wheel: Path, venv: Path) -> None:
        self.root, self.sdist, self.wheel, self.venv = root, sdist, wheel, venv
        self.work = root / "work"
        self.work.mkdir()
        home = root / "home"
        home.mkdir()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("QADESK_") and k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
        self.env.update(HOME=str(home), QADESK_CONFIG_DIR=str(home / "config"),
                        QADESK_DATA_DIR=str(home / "data"), XDG_CONFIG_HOME=str(home / ".config"),
                        XDG_DATA_HOME=str(home / ".local" / "share"), QT_QPA_PLATFORM="offscreen",
                        PATH=os.pathsep.join([str(_bin(venv, "python").parent), os.environ.get("PATH", "")]))

    def qadesk(self, *args: str | Path) -> subprocess.CompletedProcess[str]:
        """The installed console script, run from a folder outside the checkout."""
        return _run([_bin(self.venv, "qadesk"), *args], cwd=self.work, env=self.env)

    def python(self, code: str) -> str:
        return _run([_bin(self.venv, "python"), "-c", code], cwd=self.work, env=self.env).stdout.strip()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(ROOT, source, ignore=lambda _d, names: [n for n in names if n in LEFT_OUT])
    out = root / "out"
    out.mkdir()
    name = _run([sys.executable, "-c",
                 f"from setuptools import build_meta; print(build_meta.build_sdist({str(out)!r}))"],
                cwd=source).stdout.strip().splitlines()[-1]
    sdist = out / name
    unpacked = root / "unpacked"
    with tarfile.open(sdist) as tar:
        tar.extractall(unpacked, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    (project,) = unpacked.iterdir()
    wheels = root / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
          "--disable-pip-version-check", "-q", "-w", wheels, project], cwd=root)
    (wheel,) = wheels.glob("qadesk-*.whl")
    venv = root / "venv"
    python = _bin(venv, "python")
    if tuple(int(p) for p in importlib.metadata.version("pip").split(".")[:2]) >= (22, 3):
        # This run's pip installs into the new environment (--python): no pip of its own, quicker.
        _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=root)
        installer = [sys.executable, "-m", "pip", "--python", python]
    else:
        _run([sys.executable, "-m", "venv", venv], cwd=root)
        installer = [python, "-m", "pip"]
    _run([*installer, "install", "--no-deps", "--no-index", "--disable-pip-version-check", "-q", wheel], cwd=root)
    # The dependencies: this run's own site-packages, as plain sys.path entries.
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=root).stdout.strip()
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
            *(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))}
    (Path(site) / "qadesk-test-dependencies.pth").write_text(
        "".join(f"{p}\n" for p in sorted(ours) if Path(p).is_dir()), encoding="utf-8")
    return Installed(root, sdist, wheel, venv)


def test_the_sdist_carries_the_shipped_folders(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {f"forms/{f}" for f in SHIPPED_FORMS} <= names
    assert {f"docs/schemas/{s}" for s in SCHEMAS} <= names
    assert set(RESOURCES) <= names
    assert "setup.py" in names and "pyproject.toml" in names


def test_the_wheel_carries_forms_resources_and_schemas_inside_the_package(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as z:
        names = set(z.namelist())
    assert {f"qadesk/_bundle/forms/{f}" for f in SHIPPED_FORMS} <= names
    assert {f"qadesk/_bundle/docs/schemas/{s}" for s in SCHEMAS} <= names
    assert {f"qadesk/_bundle/{r}" for r in RESOURCES} <= names
    assert "qadesk/store/migrations/env.py" in names
    assert {f"qadesk/core/namelists/{n}.txt" for n in ("forenames", "surnames", "ordinary_words")} <= names
    assert not [n for n in names if n.startswith("qadesk/_bundle/docs/") and "/schemas/" not in n]
    assert not [n for n in names if n.endswith(".py") and n.startswith("qadesk/_bundle/")]


def test_the_installed_package_is_the_wheels_and_finds_its_files_inside_itself(installed: Installed) -> None:
    shown = json.loads(installed.python(
        "import json, qadesk; from qadesk.core.bundle import bundle_path, bundle_root; "
        "print(json.dumps([qadesk.__file__, str(bundle_root()), str(bundle_path('forms'))]))"))
    package, root, forms = (Path(p) for p in shown)
    assert package.is_relative_to(installed.venv.resolve()) or package.is_relative_to(installed.venv)
    assert not package.resolve().is_relative_to(ROOT.resolve())
    assert root == package.parent / "_bundle"
    assert sorted(p.name for p in forms.glob("*.json")) == SHIPPED_FORMS


def test_the_installed_program_makes_demo_data_lists_templates_and_moves_a_pack(installed: Installed) -> None:
    store, other = installed.root / "demo-store", installed.root / "imported"
    made = installed.qadesk("--data-dir", store, "demo-data", "--audits", "12", "--seed", "3")
    assert "Made 12 demo audits" in made.stdout
    listed = json.loads(installed.qadesk("--data-dir", store, "template", "list", "--json").stdout)
    assert sorted(f"{t['id']}.json" for t in listed) == SHIPPED_FORMS
    pack = installed.root / "transfer.qapack"
    installed.qadesk("--data-dir", store, "pack", "export", "--kind", "audit_transfer", "--to", pack)
    # The importer checks the manifest and every audit document against the bundled JSON schemas.
    imported = installed.qadesk("--data-dir", other, "pack", "import", pack)
    assert "new audits: 12" in imported.stdout
    shown = json.loads(installed.qadesk("--data-dir", other, "audit", "list", "--json").stdout)
    assert len(shown) == 12
    # An external pack reads the name lists shipped inside the package to find what looks identifying.
    external = installed.root / "external.qapack"
    installed.qadesk("--data-dir", store, "pack", "export", "--kind", "moderation_request", "--external",
                     "--mask-suspects", "--to", external)
    assert zipfile.is_zipfile(external)


def test_the_installed_program_passes_its_self_test_offscreen(installed: Installed) -> None:
    r = installed.qadesk("--self-test")
    assert "self-test passed" in r.stdout
