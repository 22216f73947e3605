"""Refresh clipdesk's translation sources and compile them.

    python tools/update_translations.py            # lupdate + lrelease for every .ts
    python tools/update_translations.py --check    # exit 1 if the .ts files miss source strings

``pyside6-lupdate`` scans ``clipdesk/**/*.py`` for ``self.tr()`` /
``QCoreApplication.translate()`` calls and merges the strings into ``clipdesk/i18n/*.ts``
(dropping strings that left the code); ``pyside6-lrelease`` compiles each ``.ts`` into the
``.qm`` that ships as package data and that ``clipdesk.gui.i18n`` loads. Translate the new
``unfinished`` entries with Qt Linguist (``pyside6-linguist clipdesk/i18n/clipdesk_zh_CN.ts``)
or any XML editor, then run this script again to compile.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "clipdesk"
I18N_DIR = PACKAGE / "i18n"
LANGUAGES = ("zh_CN", "en")
PLURALS_ONLY = "en"  # English needs only the forms of "%n photo(s)": "1 photo", "2 photos"

# A message is identified by its context (the class for self.tr), source text and disambiguation.
MessageKey = tuple[str, str, str]


@dataclass(frozen=True)
class Message:
    context: str
    source: str
    comment: str
    translation: str
    kind: str  # "" (translated), "unfinished", "obsolete" or "vanished"
    numerus: bool
    forms: tuple[str, ...]

    @property
    def key(self) -> MessageKey:
        return (self.context, self.source, self.comment)


def ts_path(language: str) -> Path:
    return I18N_DIR / f"clipdesk_{language}.ts"


def qm_path(language: str) -> Path:
    return I18N_DIR / f"clipdesk_{language}.qm"


def source_files() -> list[Path]:
    """Every Python file of the package, in a stable order (core has no strings; cheap)."""
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def qt_tool(name: str) -> Path:
    """The lupdate/lrelease binary that ships inside the PySide6 wheel."""
    import PySide6

    folder = Path(PySide6.__file__).resolve().parent
    exe = folder / (f"{name}.exe" if sys.platform == "win32" else name)
    if not exe.is_file():
        found = shutil.which(f"pyside6-{name}")
        if found is None:
            raise SystemExit(f"{name} not found in {folder}; install PySide6")
        return Path(found)
    return exe


def lupdate(ts_file: Path, *, language: str) -> None:
    """Merge the strings of ``source_files()`` into ``ts_file`` (created when missing). For
    English, only the plural strings (``%n photo(s)``): their singular and plural forms."""
    files = [str(p.relative_to(REPO)) for p in source_files()]
    cmd = [str(qt_tool("lupdate")), "-silent", "-no-obsolete", "-locations", "none"]
    cmd += ["-source-language", "en", "-target-language", language]
    if language == PLURALS_ONLY:
        cmd.append("-pluralonly")
    subprocess.run([*cmd, *files, "-ts", str(ts_file)], cwd=REPO, check=True, timeout=300)


def lrelease(ts_file: Path, qm_file: Path) -> None:
    cmd = [str(qt_tool("lrelease")), "-silent", "-nounfinished", str(ts_file), "-qm", str(qm_file)]
    subprocess.run(cmd, cwd=REPO, check=True, timeout=300)


def read_messages(ts_file: Path) -> list[Message]:
    """The messages of a ``.ts`` file (Qt TS XML)."""
    messages = []
    for context in ET.parse(ts_file).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None, f"{ts_file}: message without <translation>"
            forms = tuple(f.text or "" for f in translation.iter("numerusform"))
            messages.append(
                Message(
                    context=name,
                    source=message.findtext("source") or "",
                    comment=message.findtext("comment") or "",
                    translation=translation.text or "",
                    kind=translation.get("type", ""),
                    numerus=message.get("numerus") == "yes",
                    forms=forms,
                )
            )
    return messages


def current_keys(language: str) -> set[MessageKey]:
    """The message keys lupdate finds in the code today (the committed .ts is left untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / ts_path(language).name
        if ts_path(language).exists():
            shutil.copyfile(ts_path(language), copy)
        lupdate(copy, language=language)
        return {m.key for m in read_messages(copy) if m.kind not in ("obsolete", "vanished")}


def check(language: str) -> list[str]:
    """Problems that make the committed translation stale or incomplete (empty when fine)."""
    committed = {m.key: m for m in read_messages(ts_path(language))}
    problems = [
        f"not in {ts_path(language).name}: {k}" for k in current_keys(language) - set(committed)
    ]
    for message in committed.values():
        done = all(message.forms) if message.numerus else bool(message.translation)
        if message.kind or not done:
            problems.append(f"untranslated ({message.kind or 'empty'}): {message.key}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="report stale or missing strings")
    args = parser.parse_args(argv)
    if args.check:
        problems = [p for language in LANGUAGES for p in check(language)]
        for problem in problems:
            sys.stderr.write(problem + "\n")
        return 1 if problems else 0
    for language in LANGUAGES:
        lupdate(ts_path(language), language=language)
        lrelease(ts_path(language), qm_path(language))
        unfinished = [m for m in read_messages(ts_path(language)) if m.kind == "unfinished"]
        sys.stderr.write(f"{ts_path(language).name}: {len(unfinished)} unfinished\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
