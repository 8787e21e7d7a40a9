"""The qadesk package as files: where it is, and its modules found by walking its folders."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "qadesk"


def modules_of(*parts: str) -> list[str]:
    """Every importable module of the named subpackages of qadesk, found by walking their folders."""
    out = []
    for part in parts:
        for path in sorted((PACKAGE / part).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            if "migrations" in rel.parts:
                continue  # Alembic scripts run inside Alembic, not as importable modules
            names = list(rel.parts)
            if names[-1] == "__init__":
                names.pop()
            out.append(".".join(names))
    return out
