"""An OCR worker process: a photo in, the text read in it out.

It serves like a decode worker (:func:`clipdesk.core.pipeline.worker.serve`), in the same pool,
so a reader that crashes or hangs on one photo costs that photo only, huge pictures take turns,
and a killed app leaves no worker behind. For each photo it checks that the bytes are still the
ones indexed (same content hash; otherwise the photo changed and is left to the next indexing
run), decodes it upright at about the size it is read at, and reads it. Nothing is raised for a
bad photo: the result carries the reason.
"""

from __future__ import annotations

from multiprocessing.connection import Connection

from clipdesk.core.imaging import load_image_file
from clipdesk.core.ocr.reader import TextReader
from clipdesk.core.pipeline.worker import (
    FileResult,
    FileTask,
    Handler,
    StopWorker,
    WorkerConfig,
    WorkerContext,
    opened_file,
    read_failure,
    serve,
)


def ocr_worker_main(conn: Connection, config: WorkerConfig) -> None:
    serve(conn, config, _reader_handler)


def _reader_handler(ctx: WorkerContext) -> Handler:
    reader = TextReader(threads=ctx.config.threads)

    def handle(task: FileTask) -> FileResult:
        return read_file(task, ctx, reader)

    return handle


def read_file(task: FileTask, ctx: WorkerContext, reader: TextReader) -> FileResult:
    """Read the text of one photo. Never raises for a bad file: the reason is recorded."""
    out = FileResult(task.task_id)
    config = ctx.config
    try:
        with opened_file(task.path, out) as fp:
            if fp is None:
                return out
            if task.stored_hash is not None and out.content_hash != task.stored_hash:
                out.vanished = True  # changed since it was indexed: the next run indexes it
                return out
            fp.seek(0)
            ctx.task_id = task.task_id
            loaded = load_image_file(fp, min_side=config.min_side, max_pixels=config.max_pixels,
                                     budget=ctx.budget())
    except StopWorker:
        raise
    except Exception as exc:  # anything from one file is that file's problem
        return read_failure(out, exc)
    out.width, out.height = loaded.width, loaded.height
    try:
        out.reading = reader.read(loaded.image)
    except Exception as exc:
        out.reason = f"cannot read the text ({type(exc).__name__}: {exc})"[:200]
    return out
