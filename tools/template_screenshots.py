"""Screenshots for docs/template-authoring-excel.md: a template workbook and the import report.

Run: ``python tools/template_screenshots.py`` (offscreen Qt; LibreOffice's ``soffice`` and poppler's
``pdftoppm`` for the workbook picture).  Writes PNGs into docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "docs" / "screenshots"


def workbook_picture(tmp: Path) -> Path | None:
    """The survey sheet of a shipped template as Excel shows it, via LibreOffice → PDF → PNG."""
    import openpyxl

    from qadesk.exchange.template_json import read_template_json
    from qadesk.exchange.template_xlsx import write_template_xlsx

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or shutil.which("pdftoppm") is None:
        print("soffice or pdftoppm missing: no workbook picture")
        return None
    path = write_template_xlsx(read_template_json(ROOT / "forms" / "regular-case-audit.json"), tmp / "t.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["survey"]
    # Print the first rows of the survey sheet on one landscape page, as a person sees it on screen.
    for name in wb.sheetnames:
        if name != "survey":
            wb[name].sheet_state = "hidden"
    for r in range(2, 16):
        longest = max(len(str(ws.cell(row=r, column=c).value or "")) for c in (3, 4))
        ws.row_dimensions[r].height = 15 * max(1, min(4, longest // 55 + 1))
    ws.print_area = "A1:F15"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.print_options.headings = True
    wb.save(path)
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp), str(path)], check=True,
                   capture_output=True, timeout=180)
    subprocess.run(["pdftoppm", "-png", "-r", "160", "-f", "1", "-l", "1", "-singlefile", str(tmp / "t.pdf"),
                    str(OUT / "template-workbook")], check=True, timeout=120)
    from PIL import Image, ImageChops

    png = OUT / "template-workbook.png"
    image = Image.open(png).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, "white")).getbbox()
    if box:
        image.crop((max(box[0] - 12, 0), max(box[1] - 12, 0), box[2] + 12, box[3] + 12)).save(png)
    return png


def report_pictures(tmp: Path) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template
    from qadesk.store import open_store
    from qadesk.ui.context import AppContext
    from qadesk.ui.templates_view import TemplatesView
    from tests.helpers.workbooks import book, dozen_mistakes
    from tests.unit.test_xlsform import ODK_CHOICES, ODK_SETTINGS, ODK_SURVEY

    app = QApplication.instance() or QApplication([])
    store = open_store(tmp / "store")
    with store.transaction() as s:
        for p in sorted((ROOT / "forms").glob("*.json")):
            import_template(s, read_template(p), actor="docs")
    view = TemplatesView(AppContext(store, tmp / "store"))
    view.resize(1000, 560)
    view.show()
    app.processEvents()
    view.grab().save(str(OUT / "templates-screen.png"))
    mistakes, _ = dozen_mistakes(tmp / "visit-audit.xlsx")
    out = []
    for name, path, lenient in (("template-import-report", mistakes, False),
                                ("template-import-xlsform", book(tmp / "case-check.xlsx", ODK_SURVEY, ODK_CHOICES,
                                                                 ODK_SETTINGS), True)):
        dialog = view.import_file(path)
        if lenient:
            dialog.lenient.setChecked(True)
            dialog.check()
        dialog.resize(1000, 520)
        dialog.report.setColumnWidth(0, 250)
        app.processEvents()
        target = OUT / f"{name}.png"
        dialog.grab().save(str(target))
        dialog.close()
        out.append(target)
    store.close()
    return out


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        print(report_pictures(Path(d)))
        print(workbook_picture(Path(d)))
