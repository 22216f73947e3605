"""The embedding pipeline: decode workers -> encoder on the device -> writer, all at once.

``EmbedPipeline(encoder, ...).run(work, ...)`` embeds a list of files and hands every file's
outcome to ``commit`` one batch at a time:

- worker **processes** (:mod:`.pool`) read, hash and decode the files and write the model's
  uint8 pixels into shared memory, ahead of the encoder by a bounded number of slots;
- on CUDA, plain JPEGs are decoded by the GPU instead (:mod:`.gpu`), files it refuses go back to
  the workers;
- this thread gathers a batch, normalises it on the device and encodes it
  (``encoder.encode_pixels``; encoders without pixel input get decoded pictures);
- the **writer thread** (:mod:`.writer`) commits batch n-1 meanwhile.

A batch that fails to embed is retried one picture at a time, so one odd picture cannot sink the
others; if every picture fails alone too, the model itself is broken and the error is raised.
``token`` is checked while a batch gathers; on a cancel or an error, the batches already encoded
are still committed, the workers are stopped and the shared memory is freed.
"""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from clipdesk.core.imaging import HUGE_DECODE_BYTES, default_max_decode_bytes
from clipdesk.core.jobs import CancelToken
from clipdesk.core.pipeline.pool import DecodePool, WorkerTarget
from clipdesk.core.pipeline.processes import default_workers
from clipdesk.core.pipeline.worker import (
    FileResult,
    FileTask,
    ThumbnailSpec,
    WorkerConfig,
    worker_main,
)
from clipdesk.core.pipeline.writer import BatchWriter

if TYPE_CHECKING:
    from clipdesk.core.models.base import Encoder
    from clipdesk.core.pipeline.geometry import PixelSpec
    from clipdesk.core.pipeline.gpu import GpuJpegDecoder
    from clipdesk.core.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

DEFAULT_PREFETCH_BYTES = 512 << 20
IN_FLIGHT = 2  # tasks queued per worker, so a worker never waits for the next file
_GET_S = 0.1


@dataclass(frozen=True, slots=True)
class Work:
    """One file to embed, as the indexer planned it."""

    root_id: int
    relpath: str
    file_id: int | None  # None: no row yet
    stored_hash: str | None = None
    has_vector: bool = False  # this model already has a vector for the stored content


@dataclass
class Embedded:
    """One file's outcome: what the worker learnt, plus its vector or why there is none."""

    work: Work
    path: Path
    result: FileResult
    vector: np.ndarray | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        self.reason = self.reason or self.result.reason


Commit = Callable[[list[Embedded]], None]
Progress = Callable[[int, int, Path | None], None]


def pixel_spec(encoder: Encoder) -> PixelSpec | None:
    """The encoder's input geometry when it takes uint8 pixels (``encode_pixels``)."""
    spec = getattr(encoder, "pixel_spec", None)
    return spec if spec is not None and hasattr(encoder, "encode_pixels") else None


class EmbedPipeline:
    """Embeds files with one encoder; see the module docstring."""

    def __init__(
        self,
        encoder: Encoder,
        *,
        thumbnails: ThumbnailCache | None = None,
        batch_size: int = 32,
        workers: int = 0,
        max_pixels: int | None = None,
        gpu_decode: bool = True,
        prefetch_bytes: int = DEFAULT_PREFETCH_BYTES,
        file_timeout_s: float = 300.0,
        worker_target: WorkerTarget = worker_main,
        max_decode_bytes: int | None = None,
        huge_bytes: int = HUGE_DECODE_BYTES,
    ) -> None:
        """``max_decode_bytes``: pictures needing more memory to decode are skipped (default:
        :func:`~clipdesk.core.imaging.default_max_decode_bytes`); those needing more than
        ``huge_bytes`` decode one at a time."""
        self.encoder = encoder
        self.max_decode_bytes = max_decode_bytes or default_max_decode_bytes()
        self.huge_bytes = huge_bytes
        self.thumbnails = thumbnails
        self.batch_size = max(1, int(batch_size))
        self.workers = int(workers) if workers and workers > 0 else default_workers()
        self.max_pixels = max_pixels
        self.gpu_decode = gpu_decode
        self.prefetch_bytes = max(0, int(prefetch_bytes))
        self.file_timeout_s = file_timeout_s
        self.worker_target = worker_target
        self.spec = pixel_spec(encoder)
        self._gpu: GpuJpegDecoder | None = None
        self._gpu_failed = False  # the GPU path failed in this pipeline: the CPU decodes
        self.gpu_decoded = 0  # files of the last run decoded by the GPU
        thumb = thumbnails.size if thumbnails is not None else 0
        model_side = max(self.spec.height, self.spec.width) if self.spec else 0
        self.min_side = max(int(encoder.info.image_size), model_side, int(thumb))

    # -- set-up --------------------------------------------------------------------------------

    def use_gpu_decoder(self, decoder: GpuJpegDecoder | None) -> None:
        """Decode plain JPEGs with ``decoder`` instead of choosing one from the encoder's device
        (the tests run the GPU path on the CPU this way)."""
        self._gpu = decoder

    def _gpu_decoder(self) -> GpuJpegDecoder | None:
        if self._gpu is not None or not self.gpu_decode or self.spec is None:
            return self._gpu
        if not str(self.encoder.device).startswith("cuda"):
            return None
        from clipdesk.core.pipeline.gpu import GpuJpegDecoder

        cache = self.thumbnails
        self._gpu = GpuJpegDecoder.create(
            self.encoder.device, self.spec,
            thumb_size=cache.size if cache is not None else None,
            thumb_quality=cache.quality if cache is not None else 82,
            thumb_jpeg=cache is None or cache.format == "JPEG")
        return self._gpu

    def slot_count(self, workers: int) -> int:
        """Pixel slots: enough for a full batch while every worker holds its tasks, up to two
        batches ahead within ``prefetch_bytes``."""
        need = self.batch_size + workers * IN_FLIGHT
        wanted = 2 * self.batch_size + workers * IN_FLIGHT
        per_slot = self.spec.nbytes if self.spec else 3 * self.min_side * self.min_side * 2
        return max(need, min(wanted, self.prefetch_bytes // max(1, per_slot)))

    def make_pool(self, work: Sequence[Work], root_paths: Mapping[int, Path],
                  gpu: GpuJpegDecoder | None) -> DecodePool:
        workers = max(1, min(self.workers, len(work)))
        config = WorkerConfig(
            spec=self.spec, min_side=self.min_side, max_pixels=self.max_pixels,
            thumbnails=ThumbnailSpec.of(self.thumbnails) if self.thumbnails else None,
            gpu_jpeg=gpu is not None, max_decode_bytes=self.max_decode_bytes,
            huge_bytes=self.huge_bytes)
        tasks = (FileTask(i, os.fspath(root_paths[w.root_id] / w.relpath), w.stored_hash,
                          w.has_vector) for i, w in enumerate(work))
        return DecodePool(config, tasks, workers=workers, slots=self.slot_count(workers),
                          in_flight=IN_FLIGHT, file_timeout_s=self.file_timeout_s,
                          target=self.worker_target)

    # -- the run ---------------------------------------------------------------------------------

    def run(self, work: Sequence[Work], root_paths: Mapping[int, Path], commit: Commit, *,
            token: CancelToken | None = None, progress: Progress | None = None) -> None:
        """Embed ``work``; ``commit`` gets every file's outcome, one batch at a time (in the
        writer thread). ``progress(done, total, last path)`` is called once per batch."""
        total = len(work)
        self.gpu_decoded = 0
        if not total:
            return
        token = token or CancelToken()
        gpu = self._gpu_decoder()
        writer: BatchWriter[Embedded] = BatchWriter(commit)
        pool = self.make_pool(work, root_paths, gpu)
        try:
            pool.start()
            done = 0
            while done < total:
                results = self._gather(pool, min(self.batch_size, total - done), token)
                items = self._embed(results, work, root_paths, pool, gpu, token)
                writer.submit(items)
                done += len(items)
                if progress is not None and items:
                    progress(done, total, items[-1].path)
            writer.finish()
        except BaseException:
            writer.finish(raise_error=False)  # what was encoded is complete: keep it
            raise
        finally:
            pool.close()

    def _gather(self, pool: DecodePool, want: int, token: CancelToken) -> list[FileResult]:
        results: list[FileResult] = []
        while len(results) < want:
            token.check()
            try:
                results.append(pool.get(timeout=_GET_S))
            except queue.Empty:
                continue
        return results

    def _embed(self, results: list[FileResult], work: Sequence[Work],
               root_paths: Mapping[int, Path], pool: DecodePool, gpu: GpuJpegDecoder | None,
               token: CancelToken) -> list[Embedded]:
        items: list[Embedded] = []
        for r in results:
            w = work[r.task_id]
            items.append(Embedded(w, root_paths[w.root_id] / w.relpath, r))
        failed = next((r.store_error for r in results if r.store_error is not None), None)
        if failed is not None:
            pool.release(*(r.slot for r in results))
            raise self._store_error(*failed)
        # pixels in a shared-memory slot, or inline when there is no shared memory
        with_pixels = [e for e in items if e.result.pixels or e.result.pixel_bytes is not None]
        pictures = [e for e in items if e.result.image is not None]
        on_gpu = [e for e in items if e.result.gpu is not None]
        pixels: np.ndarray | None = None
        if with_pixels and self.spec is not None:
            shape = self.spec.shape
            pixels = np.empty((len(with_pixels), *shape), dtype=np.uint8)
            for row, e in zip(pixels, with_pixels, strict=True):
                inline = e.result.pixel_bytes
                row[...] = (np.frombuffer(inline, dtype=np.uint8).reshape(shape)
                            if inline is not None else pool.pixels(e.result.slot or 0))
                e.result.pixel_bytes = None
        images = [e.result.image for e in pictures]
        pool.release(*(e.result.slot for e in items if e.result.gpu is None))
        for e in items:
            e.result.image = None
        dropped: set[int] = set()
        if on_gpu:
            dropped = self._gpu_decode(on_gpu, pool, gpu, token)
        if pixels is not None:
            self._assign(with_pixels, self._vectors(self._encode_pixels, pixels, token))
        if pictures:
            self._assign(pictures, self._vectors(self._encode_images, images, token))
        return [e for e in items if id(e) not in dropped]

    def _gpu_decode(self, items: list[Embedded], pool: DecodePool, gpu: GpuJpegDecoder | None,
                    token: CancelToken) -> set[int]:
        """Decode and embed ``items`` on the GPU; returns the ids of the items that left the
        batch (refused: retried by a worker on the CPU; changed since read: next run). When
        the GPU path itself fails (out of memory, a driver error), it is given up for the rest
        of the run and its files go to the workers."""
        from clipdesk.core.pipeline.gpu import GpuItem

        if gpu is None or self._gpu_failed:
            pool.release(*(e.result.slot for e in items))
            return self._to_cpu(items, pool)
        cache = self.thumbnails
        requests = []
        for e in items:
            r = e.result
            assert r.gpu is not None
            requests.append(GpuItem(
                e.path, r.size, r.mtime_ns, r.gpu.orientation, r.gpu.width * r.gpu.height,
                thumbnail=cache is not None and r.content_hash not in cache))
        try:
            batch = gpu.decode(requests)
        except Exception:
            log.warning("JPEG decoding on the GPU failed; the CPU decodes from now on",
                        exc_info=True)
            self._gpu_failed = True
            return self._to_cpu(items, pool)
        finally:
            pool.release(*(e.result.slot for e in items))  # the GPU's pixels are its own
        dropped: set[int] = set()
        decoded: list[Embedded] = []
        for e, status, thumb in zip(items, batch.status, batch.thumbnails, strict=True):
            if status == "refused" and e.result.task is not None:
                pool.retry(e.result.task)
                dropped.add(id(e))
            elif status == "changed":
                e.result.vanished = True
            else:
                e.result.thumbnail = thumb
                decoded.append(e)
        if decoded:
            self._assign(decoded, self._vectors(self._encode_pixels, batch.pixels, token))
            self.gpu_decoded += len(decoded)
        return dropped

    def _store_error(self, errno_: int, message: str) -> Exception:
        """A worker could not store a thumbnail: the data folder's problem, so the run stops
        before this batch is committed."""
        import errno

        from clipdesk.core.errors import StoreError
        from clipdesk.core.store.database import disk_full_error

        folder = self.thumbnails.folder if self.thumbnails is not None else Path(".")
        if errno_ == errno.ENOSPC:
            return disk_full_error(folder, OSError(errno_, message))
        return StoreError(f"Thumbnails cannot be written to {folder}: {message}.")

    @staticmethod
    def _to_cpu(items: list[Embedded], pool: DecodePool) -> set[int]:
        """Send ``items`` (their slots released) back to the workers, to decode on the CPU."""
        for e in items:
            if e.result.task is not None:
                pool.retry(e.result.task)
        return {id(e) for e in items}

    # -- encoding --------------------------------------------------------------------------------

    def _encode_pixels(self, pixels: Any, token: CancelToken) -> np.ndarray:
        encode: Any = getattr(self.encoder, "encode_pixels")  # noqa: B009 (checked at init)
        return np.asarray(encode(pixels, token=token))

    def _encode_images(self, images: Any, token: CancelToken) -> np.ndarray:
        return np.asarray(self.encoder.encode_images(images, token=token))

    @staticmethod
    def _assign(items: list[Embedded], vectors: list[np.ndarray | str]) -> None:
        for e, vector in zip(items, vectors, strict=True):
            if isinstance(vector, str):
                e.reason = vector
            else:
                e.vector = vector

    def _vectors(self, encode: Callable[[Any, CancelToken], np.ndarray], inputs: Any,
                 token: CancelToken) -> list[np.ndarray | str]:
        """One vector (or a reason) per input. A failed batch is retried one by one; when
        every input fails alone too, the model is broken and the batch's error is raised."""
        from clipdesk.core.jobs import Cancelled

        n = len(inputs)
        try:
            return self._check(encode(inputs, token), n)
        except Cancelled:
            raise
        except Exception as batch_error:
            if n == 1:
                return [f"could not be embedded ({batch_error})"[:200]]
            log.warning("a batch failed to embed (%s); retrying one by one", batch_error)
            out: list[np.ndarray | str] = []
            for i in range(n):
                try:
                    out += self._check(encode(inputs[i:i + 1], token), 1)
                except Cancelled:
                    raise
                except Exception as exc:
                    out.append(f"could not be embedded ({exc})"[:200])
            if all(isinstance(v, str) for v in out):
                raise batch_error from None
            return out

    def _check(self, vectors: np.ndarray, n: int) -> list[np.ndarray | str]:
        dim = int(self.encoder.dim)
        array = np.asarray(vectors, dtype=np.float32)
        if array.shape != (n, dim):
            raise ValueError(f"the model returned shape {array.shape}, expected {(n, dim)}")
        return [v if np.isfinite(v).all() else "the model returned an invalid vector"
                for v in array]
