"""What a widget paints, read back as text: ``painted_text(widget)``.

The widget renders itself, exactly as on the screen, onto a paint device whose paint engine keeps
every piece of text drawn (as shaped for drawing: an elided label ends in "…") with the rectangle
it covers in the widget's coordinates, a rotation included. Everything else drawn is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPaintDevice, QPaintEngine, QPaintEngineState, QTextItem, QTransform
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class Painted:
    text: str
    rect: QRectF  # the text's line box (ascent to descent), mapped to the widget's coordinates


class _TextEngine(QPaintEngine):
    def __init__(self) -> None:
        super().__init__(QPaintEngine.PaintEngineFeature.AllFeatures)
        self.painted: list[Painted] = []
        self._transform = QTransform()

    def begin(self, device: QPaintDevice) -> bool:
        return True

    def end(self) -> bool:
        return True

    def type(self) -> QPaintEngine.Type:
        return QPaintEngine.Type.User

    def updateState(self, state: QPaintEngineState) -> None:  # noqa: N802 - Qt's name
        if state.state() & QPaintEngine.DirtyFlag.DirtyTransform:
            self._transform = state.transform()

    def drawTextItem(self, p: QPointF, item: QTextItem) -> None:  # noqa: N802 - Qt's name
        box = QRectF(p.x(), p.y() - item.ascent(), item.width(), item.ascent() + item.descent())
        self.painted.append(Painted(item.text(), self._transform.mapRect(box)))

    # Shapes, lines and images are not text: drawn into nothing.
    def drawPixmap(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass

    def drawPath(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass

    def drawPolygon(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass

    def drawRects(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass

    def drawLines(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass

    def drawEllipse(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass

    def drawPoints(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass

    def drawImage(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass

    def drawTiledPixmap(self, *args: object) -> None:  # noqa: N802 - Qt's name
        pass


class _TextDevice(QPaintDevice):
    """A paint device the size and resolution of ``like``, so text is measured as on its screen."""

    def __init__(self, like: QWidget) -> None:
        super().__init__()
        self.engine = _TextEngine()
        m = QPaintDevice.PaintDeviceMetric
        ratio = like.devicePixelRatioF()
        self._metrics = {
            m.PdmWidth: like.width(), m.PdmHeight: like.height(),
            m.PdmWidthMM: like.widthMM(), m.PdmHeightMM: like.heightMM(),
            m.PdmDpiX: like.logicalDpiX(), m.PdmDpiY: like.logicalDpiY(),
            m.PdmPhysicalDpiX: like.physicalDpiX(), m.PdmPhysicalDpiY: like.physicalDpiY(),
            m.PdmDepth: like.depth(), m.PdmNumColors: like.colorCount(),
            m.PdmDevicePixelRatio: round(ratio),
            m.PdmDevicePixelRatioScaled: round(ratio * QPaintDevice.devicePixelRatioFScale()),
        }

    def paintEngine(self) -> QPaintEngine:  # noqa: N802 - Qt's name
        return self.engine

    def metric(self, metric: QPaintDevice.PaintDeviceMetric) -> int:
        return int(self._metrics.get(metric, 0))


def painted_text(widget: QWidget) -> list[Painted]:
    """Every piece of text ``widget`` (and its children) paints now, in the order drawn."""
    device = _TextDevice(widget)
    widget.render(device)
    return device.engine.painted
