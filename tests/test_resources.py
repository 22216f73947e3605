"""Desktop integration files in resources/: .desktop entry, AppStream metainfo, hicolor icons."""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
APP_ID = "io.github.clipdesk.Clipdesk"
DESKTOP = RESOURCES / f"{APP_ID}.desktop"
METAINFO = RESOURCES / f"{APP_ID}.metainfo.xml"
SIZES = (16, 32, 48, 64, 128, 256, 512)


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(DESKTOP, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_keys() -> None:
    entry = _desktop_entry()
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "clipdesk %F"
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert set(entry["Categories"].rstrip(";").split(";")) >= {"Graphics", "Photography", "Viewer"}
    mime_types = entry["MimeType"].rstrip(";").split(";")
    assert {"image/jpeg", "image/png", "image/webp"} <= set(mime_types)
    assert all(m.startswith("image/") for m in mime_types)
    for key in ("Name", "Comment", "GenericName"):
        assert entry[key] and entry[f"{key}[zh_CN]"] and entry[f"{key}[zh_CN]"] != entry[key]
    assert "搜索" in entry["Keywords"] and "search" in entry["Keywords"]
    assert all(value.endswith(";") for key, value in entry.items() if key.startswith("Keywords"))


def test_desktop_entry_validates() -> None:
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate (desktop-file-utils) is not installed")
    result = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "error" not in result.stdout, result.stdout + result.stderr


def test_metainfo_parses_with_the_app_id() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("metadata_license") == "CC0-1.0"
    launchable = root.find("launchable")
    assert launchable is not None and launchable.text == DESKTOP.name
    assert root.findtext("provides/binary") == "clipdesk"
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    assert any(s.get(lang) == "zh-CN" for s in root.findall("summary"))
    assert root.find("content_rating") is not None


@pytest.mark.parametrize("size", SIZES)
def test_hicolor_png_sizes(size: int) -> None:
    path = RESOURCES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size == (size, size)
        assert image.mode == "RGBA"
        assert image.getchannel("A").getextrema() == (0, 255)  # transparent corners, opaque art


def test_scalable_icon_is_the_source_art() -> None:
    scalable = RESOURCES / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert scalable.read_bytes() == (RESOURCES / "icons" / "clipdesk.svg").read_bytes()


def test_window_icon_ships_in_the_package() -> None:
    packaged = RESOURCES.parent / "clipdesk" / "assets" / f"{APP_ID}.svg"
    assert packaged.read_bytes() == (RESOURCES / "icons" / "clipdesk.svg").read_bytes()


def test_pyinstaller_spec_compiles_and_names_existing_files() -> None:
    packaging = RESOURCES.parent / "packaging"
    spec = (packaging / "clipdesk.spec").read_text(encoding="utf-8")
    compile(spec, "clipdesk.spec", "exec")
    assert (packaging / "launch.py").is_file()
    assert f'APP_ID = "{APP_ID}"' in spec
    assert 'collect_data_files("open_clip")' in spec and 'collect_data_files("cn_clip")' in spec


def _spec_list(spec: str, name: str) -> list[str]:
    for node in ast.parse(spec).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return list(ast.literal_eval(node.value))
    raise AssertionError(f"no {name} = [...] in clipdesk.spec")


def test_pyinstaller_spec_excludes_nothing_clipdesk_imports() -> None:
    """An excluded module that the code imports breaks only the frozen app, at run time."""
    root = RESOURCES.parent
    spec = (root / "packaging" / "clipdesk.spec").read_text(encoding="utf-8")
    excludes = set(_spec_list(spec, "excludes"))
    imported: set[str] = set()
    for path in (root / "clipdesk").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
    clashes = {m for m in imported for e in excludes if m == e or m.startswith(e + ".")}
    assert clashes == set()
