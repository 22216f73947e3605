"""``clipdesk-cli``: index, search, tag, evaluate and manage models without the GUI.

Errors end with one plain line on stderr and a non-zero exit code: 1 for a clipdesk error, 2 for
bad usage, 130 when interrupted. ``--json`` prints machine-readable results on stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipdesk import __version__
from clipdesk.cli_eval import COMMANDS as EVAL_COMMANDS
from clipdesk.cli_eval import add_parsers as add_eval_parsers
from clipdesk.cli_io import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ProgressLine,
    cancel_on_interrupt,
    duration,
    json_text,
    number,
    say,
)
from clipdesk.cli_library import COMMANDS as LIBRARY_COMMANDS
from clipdesk.cli_library import add_parsers as add_library_parsers
from clipdesk.cli_tags import COMMANDS as TAGS_COMMANDS
from clipdesk.cli_tags import add_parsers as add_tags_parsers
from clipdesk.core.display import PrintableFormatter
from clipdesk.core.engine import Engine
from clipdesk.core.errors import ClipdeskError
from clipdesk.core.jobs import CancelToken

if TYPE_CHECKING:
    from clipdesk.core.rerank.actions import CheckedHits
    from clipdesk.core.store.records import SearchIndexInfo
    from clipdesk.core.types import SearchHit

log = logging.getLogger("clipdesk.cli")


def _date(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text}") from exc


def _languages(text: str) -> list[str]:
    langs = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [t for t in langs if t not in ("zh", "en", "*")]
    if not langs or unknown:
        raise argparse.ArgumentTypeError(f"not languages (use zh, en, zh,en or *): {text}")
    return langs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clipdesk-cli", description="Search your photo library by meaning (headless clipdesk)."
    )
    parser.add_argument("--version", action="version", version=f"clipdesk {__version__}")
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="data folder (default: CLIPDESK_DATA_DIR or the platform's user data folder)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    parser.add_argument("--no-wait", action="store_true",
                        help="when another clipdesk (the app, another command) is writing to "
                        "the library, stop at once instead of waiting for it to finish")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="add folders to the library and index them")
    p.add_argument("paths", nargs="*", type=Path, help="folders (default: every known folder)")
    p.add_argument("--model", help="model id (default: the configured model)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--batch-size", type=number(int, 1, 4096),
                   help="photos per batch (default: fills the device)")
    p.add_argument("--workers", type=number(int, 0, 256), metavar="N",
                   help="decode worker processes (default: one per CPU core)")
    p.add_argument("--no-gpu-decode", action="store_true",
                   help="decode JPEGs on the CPU even when the model runs on a GPU")
    p.add_argument("--download", action="store_true", help="download the model if missing")
    p.add_argument("--read-text", action=argparse.BooleanOptionalAction, default=None,
                   help="also read the text in the photos (OCR), to search by it (default: "
                        "the setting, off unless turned on; --read-text turns it on for good)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="search by text and/or image")
    p.add_argument("text", nargs="?", default="", help='query, e.g. "a dog -cat" or 海边的日落')
    p.add_argument("--image", type=Path, help="a photo to find similar ones to")
    p.add_argument("--image-weight", type=number(float, 0, 1), default=0.5,
                   help="the image's share when searching with words and a photo (0 to 1)")
    p.add_argument("--model", default="auto", help='model id, "auto", or "A+B" to fuse two')
    p.add_argument("--top-k", type=number(int, 1, 1_000_000), default=20)
    p.add_argument("--threshold", type=number(float, -1, 1),
                   help="lowest score shown: the cosine similarity (-1 to 1), or a SigLIP "
                        "model's own probability (0 to 1)")
    p.add_argument("--folder", type=Path, help="only photos under this folder")
    p.add_argument("--from", dest="date_from", type=_date, help="taken on or after (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", type=_date, help="taken on or before (YYYY-MM-DD)")
    p.add_argument("--tag", dest="tags", action="append", default=[],
                   help="only photos with this tag (repeat: all of them)")
    p.add_argument("--check-with", metavar="VLM",
                   help="a vision-language model looks at the top hits and answers whether "
                        "each shows the words: vlm:<repository> (see 'models list') or a "
                        "model folder")
    p.add_argument("--check-top", type=number(int, 1, 10_000), default=50,
                   help="how many of the top hits it looks at (default 50)")
    p.add_argument("--check-mode", choices=["rerank", "filter", "blend"], default="rerank",
                   help="re-rank by its answer, keep only confirmed hits, or blend its answer "
                        "with the score")
    p.add_argument("--check-weight", type=number(float, 0, 1), default=0.5,
                   help="the answer's share in a blend (0 to 1)")
    p.add_argument("--download", action="store_true",
                   help="download the --check-with model when it is not here")
    words = p.add_mutually_exclusive_group()
    words.add_argument("--ocr", action="store_true",
                       help="also find photos showing the words (text read in them), fused "
                            "with the picture search")
    words.add_argument("--text-in-photo", action="store_true",
                       help='only photos showing the words ("quoted" for an exact phrase)')
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("models", help="list, import or download models")
    msub = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    m = msub.add_parser("list", help="built-in and imported models")
    m.add_argument("--json", action="store_true")
    m = msub.add_parser("import", help="use a checkpoint file or model folder on this computer")
    m.add_argument("checkpoint", type=Path,
                   help="a weights file, or a folder (open_clip's, or transformers' "
                        "save_pretrained: CLIP, Chinese-CLIP, AltCLIP, SigLIP, "
                        "a LiT dual encoder, or a Taiyi-style text tower)")
    m.add_argument("--config", type=Path, help="model config JSON (OpenCLIP or Chinese CLIP)")
    m.add_argument("--backend", choices=["open_clip", "cn_clip", "hf"])
    m.add_argument("--arch", help="built-in architecture the checkpoint is for, e.g. ViT-B-16")
    m.add_argument("--name", help="display name")
    m.add_argument("--image-model", metavar="MODEL",
                   help="for a text tower such as Taiyi-CLIP's: the model whose image vectors "
                        "it searches, e.g. hf:openai/clip-vit-base-patch32")
    m.add_argument("--languages", type=_languages, metavar="LANGS",
                   help="languages its text tower reads: zh, en, or zh,en (* = many); "
                        "default: guessed from the model")
    m.add_argument("--json", action="store_true")
    m = msub.add_parser("download", help="download a built-in model's weights (or a vlm:)")
    m.add_argument("model_id")

    p = sub.add_parser("status", help="library size, folders, models")
    p.add_argument("--errors", action="store_true",
                   help="list files that could not be indexed and folders that could not be read")
    p.add_argument("--json", action="store_true")

    add_eval_parsers(sub)  # tag, eval
    add_library_parsers(sub)  # check, backup, restore
    add_tags_parsers(sub)  # tags list|rename|merge|delete|undo
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(PrintableFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        handlers=[console])
    progress = ProgressLine(sys.stderr, enabled=not args.quiet)
    engine: Engine | None = None
    try:
        engine = Engine.open(args.data_dir)
        if args.no_wait:
            engine.store.wait_s = 0.0
        handler: Callable[[argparse.Namespace, Engine, ProgressLine], int] = _COMMANDS[args.command]
        return handler(args, engine, progress)
    except ClipdeskError as exc:
        progress.close()
        say(f"clipdesk-cli: {exc}", error=True)
        return EXIT_ERROR
    except KeyboardInterrupt:
        progress.close()
        say("clipdesk-cli: interrupted", error=True)
        return EXIT_INTERRUPTED
    except OSError as exc:
        progress.close()
        log.debug("OS error", exc_info=True)
        say(f"clipdesk-cli: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            error=True)
        return EXIT_ERROR
    finally:
        if engine is not None:
            engine.close()


def _cmd_index(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    if args.device:
        engine.settings.device = args.device
    if args.batch_size:
        engine.settings.batch_size = args.batch_size
    if args.workers is not None:
        engine.settings.decode_workers = args.workers
    if args.no_gpu_decode:
        engine.settings.gpu_decode = False
    if args.read_text is not None and args.read_text != engine.settings.read_text:
        engine.settings.read_text = args.read_text  # a choice that lasts, like the window's
        engine.save_settings()
    token = CancelToken()
    with cancel_on_interrupt(token):
        try:
            started = time.monotonic()
            report = engine.index(args.paths or None, model_id=args.model,
                                  download=args.download, token=token, progress=progress,
                                  download_progress=progress.bytes)
            seconds = time.monotonic() - started
        finally:
            progress.close()
    assert report is not None  # it scanned
    if args.json:
        print(json_text({**_report_dict(report), "seconds": round(seconds, 3)}))
    else:
        rate = f" ({report.embedded / seconds:,.1f}/s)" if report.embedded and seconds else ""
        if report.gpu_decoded:
            rate += f" ({report.gpu_decoded} decoded by the GPU)"
        say(
            f"{report.model_id}: {report.embedded} embedded{rate}, {report.new} new, "
            f"{report.changed} changed, {report.moved} moved, {report.unchanged} unchanged, "
            f"{report.missing} missing, {report.skipped} skipped, in {duration(seconds)}"
        )
        if report.texts_read or report.text_failures:
            failed = f", {len(report.text_failures)} could not be read" \
                if report.text_failures else ""
            say(f"text read in {report.texts_read} photos ({report.texts_found} show text)"
                f"{failed}")
        for root in report.offline_roots:
            say(f"offline (kept): {root}")
        for folder in report.unreadable_dirs:
            say(f"could not be read (kept): {folder}")
        if report.missing:
            say(f"{report.missing} files are no longer there; they are kept with their tags "
                f"until 'clipdesk-cli purge' (a drive plugged in again brings them back)")
    return EXIT_INTERRUPTED if report.cancelled else EXIT_OK


def _report_dict(report: Any) -> dict[str, Any]:
    from dataclasses import asdict

    out = asdict(report)
    out["offline_roots"] = [str(p) for p in report.offline_roots]
    out["unreadable_dirs"] = [str(p) for p in report.unreadable_dirs]
    out["errors"] = [{"path": str(p), "reason": r} for p, r in report.errors]
    out["text_failures"] = [{"path": str(p), "reason": r} for p, r in report.text_failures]
    return out


def _cmd_search(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    from clipdesk.core.search import PhotoText, Query, SearchError

    if not args.text.strip() and args.image is None:
        raise SearchError("Give words to search for, or --image PHOTO.")
    if args.image is not None and not args.image.is_file():
        raise SearchError(f"No such photo: {args.image}")
    query = Query(
        text=args.text,
        image=args.image,
        image_weight=args.image_weight,
        top_k=args.top_k,
        threshold=args.threshold,
        folder=args.folder,
        date_from=args.date_from,
        date_to=args.date_to,
        tags=tuple(args.tags),
        photo_text=PhotoText.ONLY if args.text_in_photo else
        PhotoText.FUSE if args.ocr else PhotoText.OFF,
    )
    if query.photo_text is not PhotoText.OFF and not query.word_query():
        raise SearchError("--ocr and --text-in-photo need words to look for in the photos.")
    if args.check_with and not args.text.strip():
        raise SearchError("--check-with needs words: the model is asked whether each photo "
                          "shows them.")
    if args.check_with:  # the top hits need to be there to be checked
        query = dataclasses.replace(query, top_k=max(args.top_k, args.check_top))
    result = engine.search(query, args.model)
    if result.notice:
        say(f"note: {result.notice}", error=True)
    if result.texts_read == 0:
        say("note: no text has been read in your photos yet: run 'clipdesk-cli index "
            "--read-text' first", error=True)
    hits, answers, check = list(result.hits), {}, None
    shown = {i: [line.text for line in lines]
             for i, lines in engine.word_lines(result).items()}
    if args.check_with:
        check = _check(args, engine, hits, progress)
        hits, answers = list(check.hits[:args.top_k]), check.answers
    if args.json:
        print(
            json_text(
                {
                    "models": list(result.model_ids),
                    "scale": result.scale.name,
                    **({"texts_read": result.texts_read}
                       if result.texts_read is not None else {}),
                    "hits": [
                        {
                            "rank": h.rank,
                            "score": round(h.score, 6),
                            "file_id": h.file_id,
                            "path": str(h.path),
                            **({"p_yes": round(answers[h.file_id], 6)}
                               if h.file_id in answers else {}),
                            **({"text": shown[h.file_id]} if h.file_id in shown else {}),
                        }
                        for h in hits
                    ],
                    **({"check": {"model": check.model_id, "mode": check.mode.value,
                                  "checked": check.top, "asked": check.report.asked,
                                  "cached": check.report.cached,
                                  "seconds": round(check.report.seconds, 3)}}
                       if check is not None else {}),
                }
            )
        )
    else:
        for hit in hits:
            answer = f"  yes {answers[hit.file_id]:.2f}" if hit.file_id in answers else ""
            words = f"  「{' / '.join(shown[hit.file_id])}」" if hit.file_id in shown else ""
            say(f"{hit.rank:4d}  {hit.score:.4f}{answer}  {hit.path}{words}")
        if not hits:
            say("no matches", error=True)
    return EXIT_OK


def _check(args: argparse.Namespace, engine: Engine, hits: list[SearchHit],
           progress: ProgressLine) -> CheckedHits:
    """``--check-with``: say how long it will take without a GPU, then check."""
    from clipdesk.core.models.device import pick_device
    from clipdesk.core.rerank.catalog import find_vlm

    model = find_vlm(args.check_with)
    device = pick_device(engine.settings.device)
    n = min(len(hits), args.check_top)
    if device == "cpu":
        eta = model.seconds_per_photo(device) * n
        say(f"note: {model.display_name} looks at {n} photos on the CPU (no GPU): about "
            f"{eta / 60:.0f} min the first time (answers are kept)" if eta >= 90 else
            f"note: {model.display_name} looks at {n} photos on the CPU: about {eta:.0f} s "
            "the first time (answers are kept)", error=True)
    token = CancelToken()
    try:
        return engine.check_hits(hits, args.text, args.check_with, top=args.check_top,
                                 mode=args.check_mode, weight=args.check_weight,
                                 download=args.download, token=token, progress=progress)
    finally:
        progress.close()


def _cmd_models(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    from clipdesk.core.rerank.catalog import builtin_vlms
    from clipdesk.core.rerank.catalog import is_available as vlm_available

    registry = engine.registry
    if args.models_command == "list":
        rows = [(info, registry.is_available(info)) for info in registry.all()]
        if args.json:
            print(
                json_text(
                    [
                        {
                            "id": i.model_id,
                            "name": i.display_name,
                            "languages": sorted(i.languages),
                            "embed_dim": i.embed_dim,
                            "download_size": i.download_size,
                            "user": i.user,
                            "available": ok,
                            "recommended": i.recommended,
                            "image_model": i.image_model,
                            "licence": i.extra.get("licence"),
                        }
                        for i, ok in rows
                    ] + [
                        {"id": v.model_id, "name": v.display_name, "kind": "vlm",
                         "download_size": v.download_size, "licence": v.licence,
                         "available": vlm_available(v, engine.paths)}
                        for v in builtin_vlms()
                    ]
                )
            )
            return EXIT_OK
        table = [("*" if ok else " ", info.model_id,
                  "many" if "*" in info.languages else ",".join(sorted(info.languages)),
                  f"{info.download_size / 1e6:,.0f} MB" if info.download_size else "",
                  info.display_name) for info, ok in rows]
        # columns as wide as their longest entry, so a long id never shifts the others
        id_w = max([len("model"), *(len(t[1]) for t in table)])
        lang_w = max([len("languages"), *(len(t[2]) for t in table)])
        size_w = max([len("size"), *(len(t[3]) for t in table)])
        say(f"  {'model':{id_w}s}  {'languages':{lang_w}s}  {'size':>{size_w}s}  name")
        for mark, model_id, langs, size, name in table:
            say(f"{mark} {model_id:{id_w}s}  {langs:{lang_w}s}  {size:>{size_w}s}  {name}")
        say("(* = weights on this computer)")
        shared = [i for i, _ in rows if i.shares_images]
        if shared:
            say("Text towers that search another model's photos (index with either, search "
                "with both):")
            for i in shared:
                say(f"  {i.model_id} -> {i.image_model}")
        say("Vision-language models that re-check search hits (search --check-with):")
        for v in builtin_vlms():
            mark = "*" if vlm_available(v, engine.paths) else " "
            say(f"{mark} {v.model_id}  {v.download_size / 1e6:,.0f} MB  {v.display_name}: "
                f"{v.description}")
        return EXIT_OK
    if args.models_command == "import":
        from clipdesk.core.models.base import Backend
        from clipdesk.core.models.importer import UnknownArchitecture

        try:
            info = registry.import_model(
                args.checkpoint,
                config=args.config,
                backend=Backend(args.backend) if args.backend else None,
                arch=args.arch,
                name=args.name,
                languages=args.languages,
                image_model=args.image_model,
            )
        except UnknownArchitecture as exc:
            raise ClipdeskError(
                f"clipdesk could not tell which architecture {exc.checkpoint} is for; name it "
                f"(e.g. --arch {exc.EXAMPLE}) or give its model config JSON (--config)."
            ) from exc
        if args.json:
            print(json_text({"id": info.model_id, "name": info.display_name}))
        else:
            say(f"imported {info.model_id} ({info.display_name})")
        return EXIT_OK
    # download
    token = CancelToken()
    if args.model_id.startswith("vlm:"):
        from clipdesk.core.rerank.catalog import ensure_vlm, find_vlm

        try:
            folder = ensure_vlm(find_vlm(args.model_id), engine.paths, download=True,
                                progress=progress.bytes, token=token)
        finally:
            progress.close()
        say(f"{args.model_id}: {folder}")
        return EXIT_OK
    info = registry.get(args.model_id)
    try:
        path, image_path = registry.ensure(info, download=True, progress=progress.bytes,
                                           token=token)
    finally:
        progress.close()
    say(f"{info.model_id}: {path}")
    if image_path is not None:
        say(f"{info.image_model} (its images): {image_path}")
    return EXIT_OK


def _cmd_status(args: argparse.Namespace, engine: Engine, progress: ProgressLine) -> int:
    library = engine.reader()
    stats = library.stats()
    skipped = library.skipped_files() if args.errors else []
    unreadable = library.unreadable_folders() if args.errors else []
    sharing = engine.registry.image_sharing()
    roots = [
        {
            "path": str(r.path),
            "state": r.state.value,
            "photos": r.photo_count,
            "skipped": r.skipped_count,
            "missing": r.missing_count,
        }
        for r in stats.roots
    ]
    if args.json:
        print(
            json_text(
                {
                    "data_dir": str(engine.paths.root),
                    "photos": stats.photos,
                    "skipped": stats.skipped,
                    "missing": stats.missing,
                    "roots": roots,
                    "models": stats.model_counts,
                    "text": {**dataclasses.asdict(engine.text_counts()),
                             "reading": engine.settings.read_text},
                    # text towers searching another model's image vectors
                    "shares_vectors_of": {m: sharing[m] for m in stats.model_counts
                                          if m in sharing},
                    "search_indexes": {
                        m: dataclasses.asdict(info) for m in sorted(stats.model_counts)
                        if m not in sharing
                        and (info := library.search_index_info(m)) is not None
                    },
                    **(
                        {
                            "errors": [
                                {"path": str(p.path), "reason": p.skip_reason} for p in skipped
                            ],
                            "unreadable_folders": [str(f) for f in unreadable],
                        }
                        if args.errors
                        else {}
                    ),
                }
            )
        )
        return EXIT_OK
    say(f"data folder: {engine.paths.root}")
    missing = f", {stats.missing} missing (kept; 'clipdesk-cli purge' forgets them)" \
        if stats.missing else ""
    say(f"photos: {stats.photos} indexed, {stats.skipped} skipped{missing}")
    texts = engine.text_counts()
    if texts.read or engine.settings.read_text:
        failed = f", {texts.failed} could not be read" if texts.failed else ""
        say(f"text read in {texts.read} photos ({texts.with_text} show text{failed}); "
            f"reading text when indexing is {'on' if engine.settings.read_text else 'off'}")
    for r in roots:
        gone = f", {r['missing']} missing" if r["missing"] else ""
        say(f"  [{r['state']}] {r['path']}: {r['photos']} photos, {r['skipped']} skipped{gone}")
    for model_id, count in sorted(stats.model_counts.items()):
        if model_id in sharing:
            say(f"  {model_id}: searches the {count} vectors of {sharing[model_id]}")
            continue
        info = library.search_index_info(model_id)
        say(f"  {model_id}: {count} vectors" + (f"; {search_index_text(info)}" if info else ""))
    for folder in unreadable:
        say(f"could not be read (kept): {folder}")
    for photo in skipped:
        say(f"skipped: {photo.path}: {photo.skip_reason}")
    return EXIT_OK


def search_index_text(info: SearchIndexInfo) -> str:
    """How a model is searched, as status says it."""
    pending = f" (+{info.pending_changes:,} changes held in memory)" \
        if info.pending_changes else ""
    measured = (f"recall@10 {info.recall_image:.3f} for photo queries, "
                f"{info.recall_text:.3f} for text queries"
                if info.recall_image is not None and info.recall_text is not None else "")
    if info.approximate:
        return (f"searched approximately ({info.nprobe} of {info.nlist:,} groups scanned), "
                f"{measured}{pending}")
    if measured:
        return f"searched exactly (an approximate index reached only {measured}){pending}"
    return f"searched exactly{pending}"


_COMMANDS: dict[str, Callable[[argparse.Namespace, Engine, ProgressLine], int]] = {
    "index": _cmd_index,
    "search": _cmd_search,
    "models": _cmd_models,
    "status": _cmd_status,
    **EVAL_COMMANDS,
    **LIBRARY_COMMANDS,
    **TAGS_COMMANDS,
}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
