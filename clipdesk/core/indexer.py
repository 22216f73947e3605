"""Indexing: scan roots, diff against the store, decode in parallel, embed in batches, commit.

One run for one model (``Indexer(library, encoder).run(paths)``):

1. **scan** every root (stat only); an unreachable root -- or an empty root folder for which the
   store has files, the usual look of an unmounted drive's mount point -- is marked offline and
   nothing of it is touched; a reachable one is marked online;
2. **diff** against the store; moved files (same size and content hash as a missing row) take over
   that row with its vectors; files missing under reachable roots are removed with their vectors;
3. **work** = new files + changed files + decoded files that lack this model's vector. A changed
   file whose bytes turn out identical (``touch``) keeps every vector and is not decoded;
4. **decode** in a thread pool (Pillow releases the GIL) with bounded prefetch -- at most
   ``prefetch_batches`` batches are decoded ahead of the encoder, so memory does not grow with the
   library; one decode at ``max(model input, thumbnail size)`` serves both the model and the
   thumbnail;
5. **encode** each batch, write its thumbnails, then **commit** the batch in one transaction: a
   file is either fully indexed (row, vector, thumbnail) or not at all. A file that cannot be
   decoded gets status skipped with its reason and is not retried until it changes;
6. between batches: one progress report and ``token.check()``. A cancelled run keeps what it
   committed; the next run only does what is left.

At the end (also after a cancel) the model's FAISS cache is republished.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clipdesk.core.imaging import DEFAULT_MAX_PIXELS, ImageDecodeError, load_image_file
from clipdesk.core.jobs import Cancelled, CancelToken, ProgressCallback, no_progress
from clipdesk.core.scanner import RootScan, diff_files, scan_root
from clipdesk.core.store.database import translate_disk_full
from clipdesk.core.store.records import FileMove, FileUpdate
from clipdesk.core.types import FileStatus, IndexReport, Progress, Root, RootState, Stage

if TYPE_CHECKING:
    from PIL import Image

    from clipdesk.core.models.base import Encoder
    from clipdesk.core.store import Library
    from clipdesk.core.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class _Work:
    root_id: int
    relpath: str
    file_id: int | None  # None: no row yet
    stored_hash: str | None = None
    has_vector: bool = False  # this model already has a vector for the stored content


@dataclass(slots=True)
class _Decoded:
    work: _Work
    path: Path
    size: int = 0
    mtime_ns: int = 0
    content_hash: str | None = None
    image: Image.Image | None = None
    width: int | None = None
    height: int | None = None
    taken_at: datetime | None = None
    thumbnail: bytes | None = None
    vector: np.ndarray | None = None
    reason: str | None = None  # why it is skipped
    identical: bool = False  # same bytes as stored and already embedded: nothing to compute
    vanished: bool = False  # gone since the scan: leave it to the next run


@dataclass
class _Tally:
    new: int = 0
    changed: int = 0
    moved: int = 0
    unchanged: int = 0
    removed: int = 0
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


class Indexer:
    """Indexes library roots with one encoder into one writable :class:`Library`."""

    def __init__(
        self,
        library: Library,
        encoder: Encoder,
        *,
        thumbnails: ThumbnailCache | None = None,
        batch_size: int = 32,
        decode_workers: int = 2,
        max_pixels: int | None = DEFAULT_MAX_PIXELS,
        prefetch_batches: int = 2,
    ) -> None:
        self.library = library
        self.encoder = encoder
        self.thumbnails = thumbnails
        self.batch_size = max(1, int(batch_size))
        self.decode_workers = max(1, int(decode_workers))
        self.max_pixels = max_pixels
        self.prefetch_batches = max(1, int(prefetch_batches))
        thumb = thumbnails.size if thumbnails is not None else 0
        self.min_side = max(int(encoder.info.image_size), int(thumb))

    @property
    def model_id(self) -> str:
        return self.encoder.info.model_id

    def run(
        self,
        paths: Sequence[str | os.PathLike[str]] | None = None,
        *,
        token: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> IndexReport:
        """Add ``paths`` as roots (if new) and index them; ``None`` indexes every known root."""
        token = token or CancelToken()
        report = progress or no_progress
        lib = self.library
        lib.ensure_model(self.model_id, int(self.encoder.dim))
        wanted = {lib.add_root(p).id for p in paths} if paths else None
        roots = [r for r in lib.roots() if wanted is None or r.id in wanted]  # with counts
        tally = _Tally()
        cancelled = False
        try:
            online = self._scan(roots, tally, token, report)
            work = self._plan(online, tally, token, report)
            self._embed(work, online, tally, token, report)
        except Cancelled:
            cancelled = True
            log.info("indexing with %s cancelled", self.model_id)
        report(Progress(Stage.SAVING, 0, 1, current=self.model_id))
        lib.refresh_vector_cache(self.model_id)
        report(Progress(Stage.DONE, 1, 1))
        return IndexReport(
            model_id=self.model_id, new=tally.new, changed=tally.changed, moved=tally.moved,
            unchanged=tally.unchanged, removed=tally.removed, skipped=tally.skipped,
            embedded=tally.embedded, offline_roots=tuple(tally.offline),
            unreadable_dirs=tuple(tally.unreadable), cancelled=cancelled,
            errors=tuple(tally.errors),
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
            self.library.set_root_state(root.id, RootState.ONLINE, scanned=True)
            tally.unreadable.extend(scan.unreadable)
            found += len(scan.files)
            online[root.id] = (root, scan)
        report(Progress(Stage.SCANNING, found, found))  # the total is known once it is done
        return online

    # -- 2./3. diff and plan -------------------------------------------------------------------

    def _plan(
        self, online: dict[int, tuple[Root, RootScan]], tally: _Tally, token: CancelToken,
        report: ProgressCallback,
    ) -> list[_Work]:
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
        lib.apply_moves(
            [FileMove(row.id, root_id, f.relpath, f.size, f.mtime_ns)
             for row, root_id, f in diff.moved],
            [row.id for row in diff.missing],
        )
        tally.new, tally.changed, tally.moved = len(diff.new), len(diff.changed), len(diff.moved)
        tally.unchanged, tally.removed = len(diff.unchanged), len(diff.missing)
        lacking = {f.id: f for f in lib.files_lacking_vectors(self.model_id, list(online))}
        work = [_Work(root_id, f.relpath, None) for root_id, f in diff.new]
        changed = {row.id for row, _ in diff.changed}
        work += [
            _Work(row.root_id, f.relpath, row.id, row.content_hash,
                  has_vector=row.status is FileStatus.OK and row.id not in lacking)
            for row, f in diff.changed
        ]
        work += [_Work(f.root_id, f.relpath, f.id, f.content_hash)
                 for f in lacking.values() if f.id not in changed]
        return work

    # -- 4./5./6. decode, embed, commit --------------------------------------------------------

    def _embed(
        self, work: list[_Work], online: dict[int, tuple[Root, RootScan]], tally: _Tally,
        token: CancelToken, report: ProgressCallback,
    ) -> None:
        total = len(work)
        if not total:
            return
        root_paths = {root_id: root.path for root_id, (root, _) in online.items()}
        started = time.monotonic()
        done = 0
        report(Progress(Stage.EMBEDDING, 0, total))
        for batch in self._decoded_batches(work, root_paths):
            token.check()
            self._commit(batch, tally, token)
            done += len(batch)
            elapsed = max(time.monotonic() - started, 1e-6)
            rate = done / elapsed
            report(Progress(Stage.EMBEDDING, done, total, rate=rate,
                            eta_s=(total - done) / rate if rate > 0 else None,
                            current=str(batch[-1].path)))
        token.check()

    def _decoded_batches(
        self, work: list[_Work], root_paths: dict[int, Path]
    ) -> Iterator[list[_Decoded]]:
        """Decoded batches in order, with at most ``prefetch_batches`` batches decoding ahead."""
        ahead = self.batch_size * self.prefetch_batches  # beyond the batch being collected
        pool = ThreadPoolExecutor(self.decode_workers, thread_name_prefix="clipdesk-decode")
        pending: deque[Future[_Decoded]] = deque()
        items = iter(work)
        try:
            def fill() -> None:
                while len(pending) < ahead:
                    item = next(items, None)
                    if item is None:
                        return
                    pending.append(pool.submit(self._decode, item, root_paths[item.root_id]))

            fill()
            while pending:
                batch: list[_Decoded] = []
                while pending and len(batch) < self.batch_size:
                    batch.append(pending.popleft().result())
                    fill()
                yield batch
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _decode(self, work: _Work, root: Path) -> _Decoded:
        """Runs in a decode thread. Never raises for a bad file: the reason is recorded."""
        out = _Decoded(work, root / work.relpath)
        try:
            with open(out.path, "rb") as fp:
                st = os.fstat(fp.fileno())
                out.size, out.mtime_ns = st.st_size, st.st_mtime_ns
                digest = hashlib.sha256()
                while chunk := fp.read(_HASH_CHUNK):
                    digest.update(chunk)
                out.content_hash = digest.hexdigest()
                if work.has_vector and out.content_hash == work.stored_hash:
                    out.identical = True
                    return out
                if st.st_size == 0:
                    out.reason = "empty file"
                    return out
                fp.seek(0)
                loaded = load_image_file(fp, min_side=self.min_side, max_pixels=self.max_pixels)
        except FileNotFoundError:
            out.vanished = True
            return out
        except ImageDecodeError as exc:
            out.reason = exc.reason
            return out
        except OSError as exc:
            out.reason = f"unreadable: {(exc.strerror or str(exc)).lower()}"
            return out
        except Exception as exc:  # anything else from one file is that file's problem
            out.reason = f"cannot decode file ({type(exc).__name__}: {exc})"[:200]
            return out
        out.image, out.width, out.height = loaded.image, loaded.width, loaded.height
        out.taken_at = loaded.taken_at
        cache = self.thumbnails
        if cache is not None and out.content_hash not in cache:
            try:
                out.thumbnail = cache.encode(loaded.image)
            except Exception as exc:
                out.image, out.reason = None, f"cannot make a thumbnail ({exc})"[:200]
        return out

    def _vectors(self, images: list[Image.Image], token: CancelToken) -> list[Any]:
        """One vector (or a reason string) per image. A batch that fails is retried one image
        at a time so one odd picture cannot sink the others; if every image fails alone too,
        the model itself is broken and the error is raised."""
        if not images:
            return []
        dim = int(self.encoder.dim)
        try:
            return self._check(self.encoder.encode_images(images, token=token), len(images), dim)
        except Cancelled:
            raise
        except Exception as batch_error:
            if len(images) == 1:
                return [f"could not be embedded ({batch_error})"[:200]]
            log.warning("a batch failed to embed (%s); retrying one by one", batch_error)
            out: list[Any] = []
            for image in images:
                try:
                    out += self._check(self.encoder.encode_images([image], token=token), 1, dim)
                except Cancelled:
                    raise
                except Exception as exc:
                    out.append(f"could not be embedded ({exc})"[:200])
            if all(isinstance(v, str) for v in out):
                raise batch_error
            return out

    @staticmethod
    def _check(vectors: np.ndarray, n: int, dim: int) -> list[Any]:
        array = np.asarray(vectors, dtype=np.float32)
        if array.shape != (n, dim):
            raise ValueError(f"the model returned shape {array.shape}, expected {(n, dim)}")
        return [v if np.isfinite(v).all() else "the model returned an invalid vector"
                for v in array]

    def _commit(self, batch: list[_Decoded], tally: _Tally, token: CancelToken) -> None:
        live = [d for d in batch if not d.vanished]
        moves = [FileMove(d.work.file_id, d.work.root_id, d.work.relpath, d.size, d.mtime_ns)
                 for d in live if d.identical and d.work.file_id is not None]
        todo = [d for d in live if not d.identical]
        decoded = [d for d in todo if d.reason is None and d.image is not None]
        images = [d.image for d in decoded if d.image is not None]
        for d, vector in zip(decoded, self._vectors(images, token),
                             strict=True):
            d.image = None  # free the pixels as soon as they are encoded
            if isinstance(vector, str):
                d.reason = vector
            else:
                d.vector = vector
        updates: list[FileUpdate] = []
        cache = self.thumbnails
        with translate_disk_full(self.library.paths.root):
            for d in todo:
                if d.reason is not None or d.vector is None:
                    updates.append(self._skip_update(d))
                    continue
                if cache is not None and d.thumbnail is not None and d.content_hash:
                    cache.put_bytes(d.content_hash, d.thumbnail)
                updates.append(FileUpdate(
                    root_id=d.work.root_id, relpath=d.work.relpath, size=d.size,
                    mtime_ns=d.mtime_ns, status=FileStatus.OK, file_id=d.work.file_id,
                    content_hash=d.content_hash, width=d.width, height=d.height,
                    taken_at=d.taken_at, vector=d.vector,
                    content_changed=d.content_hash != d.work.stored_hash,
                ))
        self.library.commit_batch(self.model_id, updates, moves=moves)
        for u, d in zip(updates, todo, strict=True):
            if u.status is FileStatus.OK:
                tally.embedded += 1
            else:
                tally.skipped += 1
                tally.errors.append((d.path, u.skip_reason or ""))

    @staticmethod
    def _skip_update(d: _Decoded) -> FileUpdate:
        reason = d.reason or "could not be embedded"
        log.info("skipped %s: %s", d.path, reason)
        return FileUpdate(
            root_id=d.work.root_id, relpath=d.work.relpath, size=d.size, mtime_ns=d.mtime_ns,
            status=FileStatus.SKIPPED, file_id=d.work.file_id, content_hash=d.content_hash,
            skip_reason=reason, content_changed=True,
        )
