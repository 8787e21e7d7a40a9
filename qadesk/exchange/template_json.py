"""Reading and writing `qadesk-template/1` JSON files, treating every file as hostile."""

from __future__ import annotations

from pathlib import Path

from qadesk.core.errors import LimitError, ValidationError
from qadesk.core.template import Template, template_from_dict
from qadesk.exchange.safejson import JsonLimits, load_json

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_JSON_DEPTH = 20
# A 5,000-question template within every other limit holds about 100,000 values.
TEMPLATE_JSON = JsonLimits(max_bytes=MAX_TEMPLATE_BYTES, max_values=500_000, max_depth=MAX_JSON_DEPTH)


def parse_json_bytes(data: bytes, source: str, *, limit: int = MAX_TEMPLATE_BYTES) -> object:
    """The JSON value in ``data``, refused (LimitError, ValidationError) if too big, too deep, too many values,
    not UTF-8, or holding what JSON should not (a key twice, NaN, a 5,000-digit number, a lone surrogate);
    see :mod:`qadesk.exchange.safejson`."""
    if len(data) > limit:
        raise LimitError(f"the file is {len(data):,} bytes; the limit for a template is {limit:,} bytes", source)
    limits = TEMPLATE_JSON if limit == MAX_TEMPLATE_BYTES else JsonLimits(limit, TEMPLATE_JSON.max_values,
                                                                          MAX_JSON_DEPTH)
    try:
        return load_json(data, "", limits)
    except ValidationError as exc:
        raise type(exc)(exc.problems, source) from None


def template_from_json_bytes(data: bytes, source: str = "") -> Template:
    """A validated template from the bytes of a template JSON file."""
    return template_from_dict(parse_json_bytes(data, source), source)


def read_template_json(path: Path | str) -> Template:
    """A validated template from a JSON file (its size checked before it is read)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_TEMPLATE_BYTES:
        raise LimitError(f"the file is {size:,} bytes; the limit for a template is {MAX_TEMPLATE_BYTES:,} bytes",
                         str(path))
    return template_from_json_bytes(path.read_bytes(), str(path))


def write_template_json(template: Template, path: Path | str) -> Path:
    """Write the template's canonical JSON to ``path``, whole or not at all."""
    from qadesk.exchange.output import atomic_path

    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(template.to_json(), encoding="utf-8")
    return path
