"""``clipdesk-cli tags``: list, rename, merge, delete and undo tags.

Registered by :mod:`clipdesk.cli` (``add_parsers`` and ``COMMANDS``). Every change is one call on
the :class:`~clipdesk.core.engine.Engine` through the library's one writer, and is journaled:
``clipdesk-cli tags undo`` undoes the newest tag change (a ``tag`` run, a rename, a merge or a
delete), also after a restart. ``delete`` says what it would delete unless given ``--yes``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from clipdesk.cli_io import EXIT_ERROR, EXIT_OK, json_text, say
from clipdesk.core.errors import ClipdeskError

if TYPE_CHECKING:
    from clipdesk.cli_io import ProgressLine
    from clipdesk.core.engine import Engine
    from clipdesk.core.store.records import TagChange


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tags", help="list, rename, merge, delete or undo tags")
    tsub = p.add_subparsers(dest="tags_command", required=True, metavar="ACTION")
    t = tsub.add_parser("list", help="every tag with its photos (yours / automatic)")
    t.add_argument("--json", action="store_true")
    t = tsub.add_parser("rename", help="rename a tag (yours and automatic ones)")
    t.add_argument("old")
    t.add_argument("new")
    t.add_argument("--json", action="store_true")
    t = tsub.add_parser("merge", help="merge tags into one: tags merge A B ... INTO")
    t.add_argument("labels", nargs="+", metavar="TAG", help="the tags, then the one to keep")
    t.add_argument("--json", action="store_true")
    t = tsub.add_parser("delete", help="delete a tag from every photo (--yes to do it)")
    t.add_argument("label", metavar="TAG")
    t.add_argument("--yes", action="store_true", help="do it (otherwise: say what it would do)")
    t.add_argument("--json", action="store_true")
    t = tsub.add_parser("undo", help="undo the newest tag change (a tag run, rename, merge, "
                        "delete)")
    t.add_argument("--json", action="store_true")


def change_dict(change: TagChange) -> dict[str, Any]:
    return {"id": change.id, "kind": change.kind.value, "labels": list(change.labels),
            "made_at": change.made_at.isoformat(timespec="seconds"), "photos": change.photos,
            "tags_before": change.before, "tags_after": change.after,
            "model": change.model_id, "undone": change.undone}


def describe(change: TagChange) -> str:
    """One line for a change: what it did, to how many photos."""
    labels = change.labels
    if change.kind.value == "save":
        what = f"tagging with {', '.join(labels)}"
    elif change.kind.value == "rename":
        what = f"renaming {labels[0]} to {labels[-1]}"
    elif change.kind.value == "merge":
        what = f"merging {', '.join(labels[:-1])} into {labels[-1]}"
    else:
        what = f"deleting {', '.join(labels)}"
    return f"{what} ({change.photos} photos, {change.made_at:%Y-%m-%d %H:%M})"


def _counts(engine: Engine, label: str) -> tuple[int, int]:
    found = next((c for c in engine.tag_counts() if c.label == label), None)
    return (found.manual, found.automatic) if found is not None else (0, 0)


def _cmd_tags(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    action = args.tags_command
    if action == "list":
        counts = engine.tag_counts()
        if args.json:
            print(json_text([{"label": c.label, "manual": c.manual, "automatic": c.automatic}
                             for c in counts]))
        elif not counts:
            say("no tags yet (clipdesk-cli tag LABEL ... tags photos by their content)")
        else:
            width = max(len(c.label) for c in counts)
            say(f"{'tag':{width}s}  {'yours':>7s}  {'automatic':>9s}")
            for c in counts:
                say(f"{c.label:{width}s}  {c.manual:7d}  {c.automatic:9d}")
        return EXIT_OK
    if action == "undo":
        change = engine.undo_tag_save(progress=progress)
        if args.json:
            print(json_text(change_dict(change) if change is not None else None))
        elif change is None:
            say("no tag change to undo")
        else:
            say(f"undone: {describe(change)}; {change.after} tags removed, {change.before} "
                f"put back")
        return EXIT_OK
    if action == "delete":
        manual, automatic = _counts(engine, args.label)
        if not manual and not automatic:
            raise ClipdeskError(f"No photo has the tag {args.label}.")
        if not args.yes:
            if args.json:
                print(json_text({"label": args.label, "manual": manual, "automatic": automatic,
                                 "deleted": False}))
            else:
                say(f"{args.label}: {manual} photos tagged by you and {automatic} automatically "
                    f"would lose it; run again with --yes to delete it")
            return EXIT_OK
        change = engine.delete_tag(args.label, progress=progress)
    elif action == "rename":
        if not any(_counts(engine, args.old)):
            raise ClipdeskError(f"No photo has the tag {args.old}.")
        change = engine.rename_tag(args.old, args.new, progress=progress)
    else:  # merge
        if len(args.labels) < 2:
            say("clipdesk-cli: give the tags to merge, then the one they become: "
                "tags merge A B INTO", error=True)
            return EXIT_ERROR
        *labels, into = args.labels
        if not any(any(_counts(engine, label)) for label in labels):
            raise ClipdeskError(f"No photo has any of the tags {', '.join(labels)}.")
        change = engine.merge_tags(labels, into, progress=progress)
    if args.json:
        print(json_text(change_dict(change)))
    else:
        say(f"done: {describe(change)}; undo it with: clipdesk-cli tags undo")
    return EXIT_OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Engine, ProgressLine], int]] = {
    "tags": _cmd_tags,
}
