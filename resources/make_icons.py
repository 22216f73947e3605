"""Render the application icon into the hicolor PNG sizes used by desktops and installers.

The source art is ``resources/icons/clipdesk.svg``. Run after changing it:

    python resources/make_icons.py

It writes ``icons/hicolor/<N>x<N>/apps/io.github.clipdesk.Clipdesk.png`` for every size in
``SIZES`` and copies the SVG to ``icons/hicolor/scalable/apps/`` and to ``clipdesk/assets/`` (the
window icon shipped as package data). Rendering uses Qt's SVG renderer (PySide6.QtSvg), so no
extra tool is needed; the output is deterministic for a given Qt version.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

APP_ID = "io.github.clipdesk.Clipdesk"
SIZES = (16, 32, 48, 64, 128, 256, 512)
HERE = Path(__file__).resolve().parent
SOURCE = HERE / "icons" / "clipdesk.svg"
HICOLOR = HERE / "icons" / "hicolor"
# The window icon shipped inside the package (clipdesk.gui loads it when the desktop theme
# has no icon under APP_ID, e.g. when run from a source checkout or a PyInstaller bundle).
PACKAGE_ICON = HERE.parent / "clipdesk" / "assets" / f"{APP_ID}.svg"


def png_path(size: int, root: Path = HICOLOR) -> Path:
    return root / f"{size}x{size}" / "apps" / f"{APP_ID}.png"


def render(
    source: Path = SOURCE, root: Path = HICOLOR, sizes: tuple[int, ...] = SIZES
) -> list[Path]:
    """Render ``source`` at each size under ``root``; return the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {source}")
    written: list[Path] = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        target = png_path(size, root)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not image.convertToFormat(QImage.Format.Format_ARGB32).save(str(target), "PNG"):
            raise SystemExit(f"cannot write {target}")
        written.append(target)
    scalable = root / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, scalable)
    written.append(scalable)
    if root == HICOLOR:
        PACKAGE_ICON.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, PACKAGE_ICON)
        written.append(PACKAGE_ICON)
    return written


def main() -> int:
    for path in render():
        sys.stdout.write(f"{path.relative_to(HERE.parent)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
