"""Reading and writing `qadesk-template/1` JSON files, treating every file as hostile."""

from __future__ import annotations

import json
from pathlib import Path

from qadesk.core.errors import LimitError, Problem, ValidationError
from qadesk.core.template import Template, template_from_dict

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_JSON_DEPTH = 20


def _depth_ok(text: str, limit: int) -> bool:
    """Cheap scan for nesting depth before the parser sees the text (strings skipped)."""
    depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def parse_json_bytes(data: bytes, source: str, *, limit: int = MAX_TEMPLATE_BYTES) -> object:
    """The JSON value in ``data``, refused (LimitError, ValidationError) if too big, too deep or not UTF-8 JSON."""
    if len(data) > limit:
        raise LimitError(f"the file is {len(data):,} bytes; the limit for a template is {limit:,} bytes", source)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"the file is not UTF-8 text (byte {exc.start})", source) from None
    if not _depth_ok(text, MAX_JSON_DEPTH):
        raise LimitError(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep, the limit", source)
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError([Problem(f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}")],
                              source) from None
    except ValueError as exc:
        raise ValidationError(str(exc), source) from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON allows")


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
