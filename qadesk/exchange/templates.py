"""One entry point for template files, whatever their format (chosen by the file's ending)."""

from __future__ import annotations

from pathlib import Path

from qadesk.core.errors import QadeskError, ValidationError
from qadesk.core.template import Template
from qadesk.exchange.template_json import read_template_json, write_template_json

JSON_SUFFIXES = (".json",)
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def read_template(path: Path | str) -> Template:
    """Load and validate a template file (JSON or Excel); raises ValidationError listing every problem."""
    path = Path(path)
    if not path.exists():
        raise ValidationError("the file does not exist", str(path))
    if not path.is_file():
        raise ValidationError("this is not a file", str(path))
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return read_template_json(path)
    if suffix in EXCEL_SUFFIXES:
        from qadesk.exchange.template_xlsx import read_template_xlsx

        return read_template_xlsx(path)
    raise ValidationError(f"'{suffix or path.name}' is not a template file: use .json or .xlsx", str(path))


def write_template(template: Template, path: Path | str) -> Path:
    """Write the template to ``path`` as JSON or Excel, by the file's extension."""
    path = Path(path)
    if not path.parent.is_dir():
        raise QadeskError(f"the folder {path.parent} does not exist")
    suffix = path.suffix.lower()
    if suffix in JSON_SUFFIXES:
        return write_template_json(template, path)
    if suffix in EXCEL_SUFFIXES:
        from qadesk.exchange.template_xlsx import write_template_xlsx

        return write_template_xlsx(template, path)
    raise ValidationError(f"'{suffix or path.name}' is not a template format: write .json or .xlsx", str(path))
