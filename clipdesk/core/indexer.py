"""Indexing: scan roots, diff against the store, decode in worker processes, embed, commit.

One run for one model (``Indexer(library, encoder).run(paths)``):

1. **scan** every root (stat only); an unreachable root -- or an empty root folder for which the
   store has files, the usual look of an unmounted drive's mount point -- is marked offline and
   nothing of it is touched; a reachable one is marked online;
2. **diff** against the store; moved files (same size and content hash as a missing row) take over
   that row with its vectors; files no longer found under reachable roots are marked missing --
   kept with their vectors and tags (a drive unplugged from a folder inside a root comes back
   whole) until the person purges them; missing files found again are present again;
3. **work** = new files + changed files + decoded files that lack this model's vector. A changed
   file whose bytes turn out identical (``touch``) keeps every vector and is not decoded;
4. **embed** through :class:`~clipdesk.core.pipeline.embed.EmbedPipeline`: decode worker
   processes (one per core by default) read, hash and decode each file once at the size both the
   model and the thumbnail need, make the thumbnail and the model's pixels; the encoder works on
   batch n while the workers decode what follows and a writer thread commits batch n-1. On CUDA,
   plain JPEGs are decoded by the GPU;
5. **commit** each batch in one transaction: a file is either fully indexed (row, vector,
   thumbnail) or not at all. A file that cannot be decoded gets status skipped with its reason
   and is not retried until it changes;
6. once per batch: one progress report and ``token.check()``. A cancelled run keeps what it
   committed; the next run only does what is left.

At the end (also after a cancel) the model's FAISS cache is republished.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from clipdesk.core.errors import ModelError
from clipdesk.core.imaging import DEFAULT_MAX_PIXELS
from clipdesk.core.jobs import Cancelled, CancelToken, ProgressCallback, no_progress
from clipdesk.core.pipeline.embed import DEFAULT_PREFETCH_BYTES, Embedded, EmbedPipeline, Work
from clipdesk.core.pipeline.pool import WorkerTarget
from clipdesk.core.pipeline.worker import worker_main
from clipdesk.core.scanner import RootScan, diff_files, scan_root
from clipdesk.core.store.database import translate_disk_full
from clipdesk.core.store.records import FileMove, FileUpdate
from clipdesk.core.types import FileStatus, IndexReport, Progress, Root, RootState, Stage

if TYPE_CHECKING:
    from clipdesk.core.models.base import Encoder, ModelInfo
    from clipdesk.core.store import Library
    from clipdesk.core.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

@dataclass
class _Tally:
    new: int = 0
    changed: int = 0
    moved: int = 0
    unchanged: int = 0
    missing: int = 0
    skipped: int = 0
    embedded: int = 0
    offline: list[Path] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)


def _relative_folders(root: Path, folders: Sequence[Path]) -> list[str]:
    """``folders`` under ``root`` as relative POSIX prefixes ending in "/"."""
    out = []
    real = Path(os.path.realpath(root))
    for folder in folders:
        try:
            out.append(folder.relative_to(real).as_posix() + "/")
        except ValueError:  # reached through a symlink: its files were never stored there
            continue
    return out


@dataclass(frozen=True)
class EncoderOnDemand:
    """The model to index with, loaded only once a run has something to embed: a rescan that
    finds nothing new costs no model load (hundreds of MB read, seconds on a laptop)."""

    info: ModelInfo
    load: Callable[[], Encoder]


MIN_BATCH = 32  # photos per commit at least, whatever the model's batch on the device


class Indexer:
    """Indexes library roots with one encoder into one writable :class:`Library`."""

    def __init__(
        self,
        library: Library,
        encoder: Encoder | EncoderOnDemand,
        *,
        thumbnails: ThumbnailCache | None = None,
        batch_size: int | None = 32,
        decode_workers: int = 0,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
        gpu_decode: bool = True,
        prefetch_bytes: int = DEFAULT_PREFETCH_BYTES,
        file_timeout_s: float = 300.0,
        worker_target: WorkerTarget = worker_main,
    ) -> None:
        """``encoder``: loaded, or loaded on demand (:class:`EncoderOnDemand`);
        ``batch_size`` ``None``: the encoder's own batch (chosen from the device's free memory),
        at least :data:`MIN_BATCH`; ``decode_workers`` 0 means one per CPU core;
        ``prefetch_bytes`` bounds the decoded pixels waiting for the encoder; ``gpu_decode``
        lets the GPU decode plain JPEGs when the model runs on CUDA; ``file_timeout_s`` is how
        long one file may take to decode."""
        self.library = library
        self.thumbnails = thumbnails
        self.decode_workers = decode_workers
        self.gpu_decode = gpu_decode
        if isinstance(encoder, EncoderOnDemand):
            self._on_demand: EncoderOnDemand | None = encoder
            self._encoder: Encoder | None = None
            self.model_info = encoder.info
        else:
            self._on_demand, self._encoder = None, encoder
            self.model_info = encoder.info
        self._make_pipeline: Callable[[Encoder, int], EmbedPipeline] = lambda encoder, batch: \
            EmbedPipeline(
            encoder, thumbnails=thumbnails, batch_size=batch, workers=decode_workers,
            max_pixels=max_pixels, gpu_decode=gpu_decode, prefetch_bytes=prefetch_bytes,
            file_timeout_s=file_timeout_s, worker_target=worker_target)
        self._batch_size = batch_size
        self._pipeline: EmbedPipeline | None = None

    @property
    def model_id(self) -> str:
        return self.model_info.model_id

    @property
    def encoder_loaded(self) -> bool:
        return self._encoder is not None

    @property
    def encoder(self) -> Encoder:
        """The encoder, loaded now if it was given on demand."""
        if self._encoder is None:
            assert self._on_demand is not None
            encoder = self._on_demand.load()
            if int(encoder.dim) != int(self.model_info.embed_dim):
                raise ModelError(f"{self.model_id} gives {encoder.dim}-d vectors, but its "
                                 f"description says {self.model_info.embed_dim}; import it again.")
            self._encoder = encoder
        return self._encoder

    @property
    def pipeline(self) -> EmbedPipeline:
        """The decode-and-embed pipeline (needs the encoder: built when first used)."""
        if self._pipeline is None:
            encoder = self.encoder
            batch = self._batch_size or max(MIN_BATCH,
                                            int(getattr(encoder, "batch_size", 0) or 0))
            self._pipeline = self._make_pipeline(encoder, batch)
        return self._pipeline

    def run(
        self,
        paths: Sequence[str | os.PathLike[str]] | None = None,
        *,
        token: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Add ``paths`` as roots (if new) and index them; ``None`` indexes every known root."""
        root_ids = [self.library.add_root(p).id for p in paths] if paths else None
        return self.run_roots(root_ids, token=token, progress=progress)

    def run_roots(
        self,
        root_ids: Sequence[int] | None = None,
        *,
        token: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Index the roots ``root_ids`` (already in the library); ``None``: every root."""
        token = token or CancelToken()
        report = progress or no_progress
        lib = self.library
        dim = int(self._encoder.dim) if self._encoder is not None else self.model_info.embed_dim
        lib.ensure_model(self.model_id, int(dim))
        wanted = set(root_ids) if root_ids is not None else None
        roots = [r for r in lib.roots() if wanted is None or r.id in wanted]  # with counts
        tally = _Tally()
        cancelled = False
        online: dict[int, tuple[Root, RootScan]] = {}
        try:
            online = self._scan(roots, tally, token, report)
            work = self._plan(online, tally, token, report)
            if work:  # unfinished until the run ends: a quit, crash or kill resumes it later
                # (a root whose work with another model is unfinished keeps that mark)
                lib.set_pending([r.id for r in roots if r.id in online
                                 and r.pending_model is None], self.model_id)
            self._embed(work, online, tally, token, report)
        except Cancelled:
            cancelled = True
            log.info("indexing with %s cancelled", self.model_id)
        else:
            lib.set_pending([r.id for r in roots if r.id in online and (
                r.pending_model in (None, self.model_id))], None)
        report(Progress(Stage.SAVING, 0, 1, current=self.model_id))
        lib.refresh_vector_cache(self.model_id)
        report(Progress(Stage.DONE, 1, 1))
        return IndexReport(
            model_id=self.model_id, new=tally.new, changed=tally.changed, moved=tally.moved,
            unchanged=tally.unchanged, missing=tally.missing, skipped=tally.skipped,
            embedded=tally.embedded, offline_roots=tuple(tally.offline),
            unreadable_dirs=tuple(tally.unreadable), cancelled=cancelled,
            errors=tuple(tally.errors),
            gpu_decoded=self._pipeline.gpu_decoded if self._pipeline is not None else 0,
        )

    # -- 1. scan -------------------------------------------------------------------------------

    def _scan(
        self, roots: list[Root], tally: _Tally, token: CancelToken, report: ProgressCallback
    ) -> dict[int, tuple[Root, RootScan]]:
        online: dict[int, tuple[Root, RootScan]] = {}
        found = 0
        for root in roots:
            def on_progress(n: int, folder: str, base: int = found) -> None:
                report(Progress(Stage.SCANNING, base + n, 0, current=folder))

            scan = scan_root(root.path, exclude=[self.library.paths.root], token=token,
                             progress=on_progress)
            known = root.photo_count + root.skipped_count
            if not scan.reachable or (scan.empty and known > 0):
                why = scan.reason or "the folder is empty"
                log.warning("root %s is unreachable (%s): marked offline, nothing removed",
                            root.path, why)
                self.library.set_root_state(root.id, RootState.OFFLINE)
                tally.offline.append(root.path)
                continue
            self.library.set_root_state(root.id, RootState.ONLINE, scanned=True,
                                        found=len(scan.files), unreadable=scan.unreadable)
            tally.unreadable.extend(scan.unreadable)
            found += len(scan.files)
            online[root.id] = (root, scan)
        report(Progress(Stage.SCANNING, found, found))  # the total is known once it is done
        return online

    # -- 2./3. diff and plan -------------------------------------------------------------------

    def _plan(
        self, online: dict[int, tuple[Root, RootScan]], tally: _Tally, token: CancelToken,
        report: ProgressCallback,
    ) -> list[Work]:
        lib = self.library
        stored = {root_id: lib.stored_files(root_id) for root_id in online}

        def on_hash(done: int, total: int, path: str) -> None:
            if done == 1 or done % 100 == 0 or done == total:
                report(Progress(Stage.HASHING, done, total, current=path))

        diff = diff_files(
            {root_id: scan.files for root_id, (_, scan) in online.items()}, stored,
            root_paths={root_id: root.path for root_id, (root, _) in online.items()},
            protected={root_id: _relative_folders(root.path, scan.unreadable)
                       for root_id, (root, scan) in online.items()},
            on_hash=on_hash, token=token,
        )
        del stored
        newly_missing = [row.id for row in diff.missing if not row.missing]
        lib.apply_scan(
            [FileMove(row.id, root_id, f.relpath, f.size, f.mtime_ns)
             for row, root_id, f in diff.moved],
            newly_missing,
            found=[row.id for row in (*diff.unchanged, *(r for r, _ in diff.changed))
                   if row.missing],
        )
        tally.new, tally.changed, tally.moved = len(diff.new), len(diff.changed), len(diff.moved)
        tally.unchanged, tally.missing = len(diff.unchanged), len(newly_missing)
        lacking = {f.id: f for f in lib.files_lacking_vectors(self.model_id, list(online))}
        work = [Work(root_id, f.relpath, None) for root_id, f in diff.new]
        changed = {row.id for row, _ in diff.changed}
        work += [
            Work(row.root_id, f.relpath, row.id, row.content_hash,
                  has_vector=row.status is FileStatus.OK and row.id not in lacking)
            for row, f in diff.changed
        ]
        work += [Work(f.root_id, f.relpath, f.id, f.content_hash)
                 for f in lacking.values() if f.id not in changed]
        return work

    # -- 4./5./6. decode, embed, commit --------------------------------------------------------

    def _embed(
        self, work: list[Work], online: dict[int, tuple[Root, RootScan]], tally: _Tally,
        token: CancelToken, report: ProgressCallback,
    ) -> None:
        total = len(work)
        if not total:
            return
        root_paths = {root_id: root.path for root_id, (root, _) in online.items()}
        started = time.monotonic()
        report(Progress(Stage.EMBEDDING, 0, total))

        def on_batch(done: int, total: int, last: Path | None) -> None:
            rate = done / max(time.monotonic() - started, 1e-6)
            report(Progress(Stage.EMBEDDING, done, total, rate=rate,
                            eta_s=(total - done) / rate if rate > 0 else None,
                            current=str(last or "")))

        self.pipeline.run(work, root_paths, lambda batch: self._commit(batch, tally),
                          token=token, progress=on_batch)
        token.check()

    def _commit(self, batch: list[Embedded], tally: _Tally) -> None:
        """Store one batch in one transaction (runs in the pipeline's writer thread)."""
        live = [e for e in batch if not e.result.vanished]
        moves = [FileMove(e.work.file_id, e.work.root_id, e.work.relpath, e.result.size,
                          e.result.mtime_ns)
                 for e in live if e.result.identical and e.work.file_id is not None]
        todo = [e for e in live if not e.result.identical]
        updates: list[FileUpdate] = []
        cache = self.thumbnails
        with translate_disk_full(self.library.paths.root):
            for e in todo:
                r = e.result
                if e.reason is not None or e.vector is None:
                    updates.append(self._skip_update(e))
                    continue
                if cache is not None and r.thumbnail is not None and r.content_hash:
                    cache.put_bytes(r.content_hash, r.thumbnail)
                updates.append(FileUpdate(
                    root_id=e.work.root_id, relpath=e.work.relpath, size=r.size,
                    mtime_ns=r.mtime_ns, status=FileStatus.OK, file_id=e.work.file_id,
                    content_hash=r.content_hash, width=r.width, height=r.height,
                    taken_at=r.taken_at, vector=e.vector,
                    content_changed=r.content_hash != e.work.stored_hash,
                ))
        self.library.commit_batch(self.model_id, updates, moves=moves)
        for u, e in zip(updates, todo, strict=True):
            if u.status is FileStatus.OK:
                tally.embedded += 1
            else:
                tally.skipped += 1
                tally.errors.append((e.path, u.skip_reason or ""))

    @staticmethod
    def _skip_update(e: Embedded) -> FileUpdate:
        reason = e.reason or "could not be embedded"
        log.info("skipped %s: %s", e.path, reason)
        r = e.result
        return FileUpdate(
            root_id=e.work.root_id, relpath=e.work.relpath, size=r.size, mtime_ns=r.mtime_ns,
            status=FileStatus.SKIPPED, file_id=e.work.file_id, content_hash=r.content_hash,
            skip_reason=reason, content_changed=True,
        )
