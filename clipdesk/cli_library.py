"""``clipdesk-cli check``, ``backup``, ``restore``, ``purge`` and ``duplicates``: the library's
upkeep.

Registered by :mod:`clipdesk.cli` (``add_parsers`` and ``COMMANDS``); each is one call on the
:class:`~clipdesk.core.engine.Engine`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.cli_io import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ProgressLine,
    cancel_on_interrupt,
    json_text,
    number,
    say,
)
from clipdesk.core.jobs import CancelToken

if TYPE_CHECKING:
    from clipdesk.core.duplicates import DuplicateGroup
    from clipdesk.core.engine import Engine

MAX_PROBLEMS = 10


def _add_duplicates_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("duplicates", help="groups of near-duplicate photos and exact copies")
    p.add_argument("--model", help="the model whose vectors compare the photos (default: the "
                                   "current one, or the one that indexed the most)")
    p.add_argument("--threshold", type=number(float, -1, 1), default=0.95,
                   help="how alike two photos must be (cosine similarity, default 0.95)")
    p.add_argument("--trash", action="store_true",
                   help="move every photo but the one to keep of each group to the system "
                        "trash, after asking (nothing is deleted outright)")
    p.add_argument("--yes", action="store_true", help="with --trash: do not ask")
    p.add_argument("--json", action="store_true")


def _cmd_duplicates(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    token = CancelToken()
    try:
        groups = engine.find_duplicates(args.model, args.threshold, token=token,
                                        progress=progress)
    finally:
        progress.close()
    ids = [i for g in groups for i in g.file_ids]
    photos = engine.reader().photos(ids)
    if args.json:
        print(json_text([
            {"keep": str(photos[g.best].path), "others": [str(photos[i].path) for i in g.others],
             "file_ids": list(g.file_ids), "exact": g.exact,
             "similarity": round(g.similarity, 6)}
            for g in groups]))
        return EXIT_OK
    for n, g in enumerate(groups, start=1):
        kind = "copies" if g.exact else f"alike ≥ {g.similarity:.3f}"
        say(f"group {n} ({len(g.file_ids)} photos, {kind}):")
        say(f"  keep   {photos[g.best].path}")
        for i in g.others:
            say(f"  other  {photos[i].path}")
    extra = sum(len(g.others) for g in groups)
    say(f"{len(groups)} groups; {extra} photos beside the one to keep" if groups
        else "no duplicates found")
    if args.trash and groups:
        return _trash_others(args, engine, groups, progress)
    return EXIT_OK


def _trash_others(args: argparse.Namespace, engine: Engine, groups: list[DuplicateGroup],
                  progress: ProgressLine) -> int:
    """``--trash``: the others of every group to the system trash, once the person agrees."""
    others = [i for g in groups for i in g.others]
    if not args.yes:
        if not sys.stdin.isatty():
            say("clipdesk-cli: --trash asks before it moves anything; add --yes to move "
                f"these {len(others)} photos without asking", error=True)
            return EXIT_ERROR
        answer = input(f"Move these {len(others)} photos to the trash? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            say("nothing was moved")
            return EXIT_OK
    token = CancelToken()
    with cancel_on_interrupt(token):
        try:
            report = engine.trash_photos(others, groups=groups, token=token, progress=progress)
        finally:
            progress.close()
    for problem in report.not_moved:
        say(f"not moved: {problem.reason}", error=True)
    say(f"{len(report.moved)} photos moved to the trash (put one back and rescan its folder "
        "to bring it back)")
    return EXIT_INTERRUPTED if report.cancelled else EXIT_OK if report.ok else EXIT_ERROR


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    _add_duplicates_parser(sub)
    p = sub.add_parser("check", help="check the library database (SQLite integrity_check)")
    p.add_argument("--quick", action="store_true", help="quick_check only (faster)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("backup", help="back up the library database now")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("purge", help="forget photos that are no longer found (and their tags)")
    p.add_argument("--older-than", type=number(float, 0), metavar="DAYS",
                   help="only those missing for more than DAYS days")
    p.add_argument("--yes", action="store_true", help="do it (otherwise: say what it would do)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("restore", help="restore the library database from a backup")
    p.add_argument("backup", nargs="?", type=Path,
                   help="a backup file (default: the newest one that checks out)")
    p.add_argument("--list", action="store_true", help="list the backups, restore nothing")
    p.add_argument("--json", action="store_true")


def _cmd_check(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    path = engine.paths.database
    problems = engine.check(full=not args.quick)
    newest = next(iter(engine.backups()), None)
    if args.json:
        print(json_text({"database": str(path), "ok": not problems, "problems": problems,
                         "newest_backup": str(newest.path) if newest else None}))
        return EXIT_OK if not problems else EXIT_ERROR
    if not problems:
        say(f"{path}: ok")
        return EXIT_OK
    say(f"{path} is damaged:", error=True)
    for problem in problems[:MAX_PROBLEMS]:
        say(f"  {problem}", error=True)
    if len(problems) > MAX_PROBLEMS:
        say(f"  ... and {len(problems) - MAX_PROBLEMS} more", error=True)
    if newest is not None:
        say(f"Restore the backup of {newest.taken_at:%Y-%m-%d %H:%M} with 'clipdesk-cli "
            f"restore'.", error=True)
    else:
        say("There is no backup to restore; index your folders again into a new data folder.",
            error=True)
    return EXIT_ERROR


def _cmd_backup(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    made = engine.backup()
    if args.json:
        print(json_text({"path": str(made.path), "size": made.size}))
    else:
        say(f"backed up to {made.path} ({made.size / 1e6:,.1f} MB)")
    return EXIT_OK


def _cmd_purge(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    counts = engine.purge_missing(args.older_than, apply=args.yes)
    if args.json:
        print(json_text({"files": counts.files, "manual_tags": counts.manual_tags,
                         "purged": bool(args.yes)}))
        return EXIT_OK
    tags = f" and {counts.manual_tags} tags you set" if counts.manual_tags else ""
    if not counts.files:
        say("no missing photos to forget")
    elif args.yes:
        say(f"forgot {counts.files} missing photos{tags}")
    else:
        say(f"{counts.files} missing photos{tags} would be forgotten; run again with --yes to "
            f"forget them")
    return EXIT_OK


def _cmd_restore(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    if args.list:
        listed = engine.backups()
        if args.json:
            print(json_text([{"path": str(b.path), "taken_at": b.taken_at.isoformat(),
                              "reason": b.reason, "size": b.size} for b in listed]))
        elif not listed:
            say(f"no backups in {engine.paths.backup_dir}")
        for b in [] if args.json else listed:
            say(f"{b.taken_at:%Y-%m-%d %H:%M:%S}  {b.reason:10s} {b.size / 1e6:>9,.1f} MB  "
                f"{b.path}")
        return EXIT_OK
    chosen = engine.restore(args.backup, token=CancelToken(), progress=progress)
    if args.json:
        print(json_text({"restored_from": str(chosen.path),
                         "taken_at": chosen.taken_at.isoformat()}))
    else:
        say(f"restored the library from {chosen.path} (taken {chosen.taken_at:%Y-%m-%d %H:%M});"
            f" the previous file was kept beside it as library.sqlite3.damaged-...")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Engine, ProgressLine], int]] = {
    "check": _cmd_check,
    "backup": _cmd_backup,
    "purge": _cmd_purge,
    "restore": _cmd_restore,
    "duplicates": _cmd_duplicates,
}
