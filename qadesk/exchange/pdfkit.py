"""What every qadesk PDF shares: page layout, protective marking, page numbers, styles, escaping.

Reports carry the "OFFICIAL-SENSITIVE" protective marking in the header and
the footer of every page (Government Security Classifications), the
organisation, the generated date and "Page n of N".
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdfcanvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate

from qadesk.exchange.output import uk_date

MARKING = "OFFICIAL-SENSITIVE"
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#0b4f6c")
RULE = colors.HexColor("#cbd2d9")
MARGIN = 18 * mm


def esc(text: object) -> str:
    """User text made safe for reportlab's Paragraph markup; line breaks kept."""
    if text is None:
        return ""
    s = html.escape(str(text), quote=False)
    return s.replace("\r\n", "\n").replace("\n", "<br/>")


def styles() -> StyleSheet1:
    """The paragraph styles every qadesk PDF uses (Body, Title, H1, H2, Question, Answer, Evidence, Small, Cell...)."""
    base = getSampleStyleSheet()
    ss = StyleSheet1()
    body = ParagraphStyle("Body", parent=base["BodyText"], fontName="Helvetica", fontSize=9.5, leading=12.5,
                          textColor=INK, alignment=TA_LEFT, spaceAfter=3)
    ss.add(body)
    ss.add(ParagraphStyle("Title", parent=body, fontName="Helvetica-Bold", fontSize=17, leading=21,
                          textColor=ACCENT, spaceAfter=6))
    ss.add(ParagraphStyle("H1", parent=body, fontName="Helvetica-Bold", fontSize=13, leading=16,
                          textColor=ACCENT, spaceBefore=10, spaceAfter=4))
    ss.add(ParagraphStyle("H2", parent=body, fontName="Helvetica-Bold", fontSize=10.5, leading=13,
                          spaceBefore=6, spaceAfter=2))
    ss.add(ParagraphStyle("Question", parent=body, fontName="Helvetica-Bold", fontSize=9.5, spaceBefore=4,
                          spaceAfter=1))
    ss.add(ParagraphStyle("Answer", parent=body, leftIndent=10))
    ss.add(ParagraphStyle("Evidence", parent=body, leftIndent=10, fontName="Helvetica-Oblique",
                          textColor=MUTED))
    ss.add(ParagraphStyle("Small", parent=body, fontSize=8, leading=10, textColor=MUTED))
    ss.add(ParagraphStyle("Cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0))
    ss.add(ParagraphStyle("CellBold", parent=body, fontName="Helvetica-Bold", fontSize=8.5, leading=10.5,
                          spaceAfter=0))
    return ss


def _numbered_canvas(header_left: str, header_right: str, generated: str) -> type[pdfcanvas.Canvas]:
    class NumberedCanvas(pdfcanvas.Canvas):
        """Draws header and footer once the page count is known (Page n of N)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            w, h = A4
            self.saveState()
            self.setFont("Helvetica-Bold", 8.5)
            self.setFillColor(colors.HexColor("#b00020"))
            self.drawCentredString(w / 2, h - 10 * mm, MARKING)
            self.drawCentredString(w / 2, 7 * mm, MARKING)
            self.setFont("Helvetica", 8)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, h - 10 * mm, header_left[:80])
            self.drawRightString(w - MARGIN, h - 10 * mm, header_right[:70])
            self.drawString(MARGIN, 7 * mm, f"Generated {generated}")
            self.drawRightString(w - MARGIN, 7 * mm, f"Page {self._pageNumber} of {total}")
            self.setStrokeColor(RULE)
            self.line(MARGIN, h - 12 * mm, w - MARGIN, h - 12 * mm)
            self.line(MARGIN, 11 * mm, w - MARGIN, 11 * mm)
            self.restoreState()

    return NumberedCanvas


def build(target: Any, story: list[Any], *, title: str, organisation: str | None, subject: str = "",
          generated: datetime | None = None) -> None:
    """Lay the story out on A4 pages with marking, organisation, generated date and page numbers.

    ``target`` is a path or a binary file object.
    """
    when = uk_date(generated or datetime.now().astimezone())
    doc = BaseDocTemplate(target, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=18 * mm,
                          bottomMargin=16 * mm, title=title, author=organisation or "qadesk", subject=subject,
                          creator="qadesk")
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    doc.build(story, canvasmaker=_numbered_canvas(organisation or "", title, when))
