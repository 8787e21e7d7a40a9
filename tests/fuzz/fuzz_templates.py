"""Coverage-guided fuzzing of the template loaders and the expression parser, by hand, with atheris.

    pip install atheris
    python tests/fuzz/fuzz_templates.py json  -atheris_runs=200000
    python tests/fuzz/fuzz_templates.py xlsx  -max_total_time=600
    python tests/fuzz/fuzz_templates.py expr

Any exception other than qadesk's ValidationError is a finding (atheris stops and writes the input).
The bounded hypothesis version runs in CI: tests/unit/test_hostile_files.py.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from qadesk.core.errors import ValidationError
    from qadesk.core.expressions import parse
    from qadesk.exchange.template_json import template_from_json_bytes
    from qadesk.exchange.template_xlsx import read_template_xlsx

WORK = Path(tempfile.mkdtemp(prefix="qadesk-fuzz-"))


def fuzz_json(data: bytes) -> None:
    with contextlib.suppress(ValidationError):
        template_from_json_bytes(data)


def fuzz_xlsx(data: bytes) -> None:
    path = WORK / "f.xlsx"
    path.write_bytes(data)
    with contextlib.suppress(ValidationError):
        read_template_xlsx(path)


def fuzz_expr(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    with contextlib.suppress(ValidationError):
        parse(text).evaluate({"a": "1", "b": ["x"]}, current="2")


TARGETS = {"json": fuzz_json, "xlsx": fuzz_xlsx, "expr": fuzz_expr}

if __name__ == "__main__":
    target = sys.argv.pop(1) if len(sys.argv) > 1 and sys.argv[1] in TARGETS else "json"
    atheris.Setup(sys.argv, TARGETS[target])
    atheris.Fuzz()
