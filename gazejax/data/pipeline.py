"""The grain input pipeline: random-access records -> per-process float32 batches.

Batch ``step`` is a pure function of (seed, step, process): the global sample
stream visits every record once per epoch, in a fresh permutation per epoch
(:class:`EpochOrder`); in pair mode each position also draws its
redirection target with a per-position RNG (:class:`~gazejax.data.pairing.PairSampler`).
Global batch ``step`` holds stream positions ``[step * B, (step + 1) * B)``;
process ``p`` reads only its contiguous slice of them, so the global batch does
not depend on the number of processes, and resuming needs only the step.

Records are converted to the library's conventions: uint8 masks (keys ending in
``mask``) become float32 in {0, 1}; other uint8 arrays (images, eye patches)
become float32 in [0, 1]; everything else is kept as is.
"""

import importlib
import os
import pathlib

import grain
import numpy as np

from gazejax.data import gaze_range, pairing

# Far beyond any training run; grain datasets need a length.
_STREAM_LENGTH = 2**62


def to_float(record):
    """Applies the uint8 -> float32 conventions above to one record dict."""

    def convert(key, value):
        value = np.asarray(value)
        if value.dtype != np.uint8:
            return value
        if key.endswith("mask"):
            return value.astype(np.float32)
        return value.astype(np.float32) / 255.0

    return {key: convert(key, value) for key, value in record.items()}


class EpochOrder:
    """Stream position -> record index: a new permutation of the records each epoch.

    (grain's own ``shuffle`` costs milliseconds per element on datasets of a
    few dozen records, i.e. on every tiny config; one cached numpy
    permutation per epoch does not.)
    """

    def __init__(self, num_records, seed):
        self._num_records = num_records
        self._seed = seed
        self._cached = (None, None)  # (epoch, permutation); batches rarely span two epochs

    def __call__(self, position):
        epoch, offset = divmod(position, self._num_records)
        cached_epoch, permutation = self._cached
        if cached_epoch != epoch:
            permutation = np.random.default_rng([self._seed, epoch]).permutation(self._num_records)
            self._cached = (epoch, permutation)
        return int(permutation[offset])


class Pipeline:
    """Per-process batches of one split.

    Args:
      source: random-access sequence of record dicts.
      global_batch_size: B, the batch over all processes.
      seed: data-order seed.
      process_index, process_count: this process and the number of processes
        (B must be divisible by process_count).
      pairs: yield ``{'source': rec, 'target': rec}`` instead of ``rec``.
      same_camera: pairing camera rule (True / False / None = either).
      index: the :class:`~gazejax.data.pairing.RecordIndex` (pair mode only;
        built from ``source`` when omitted).
      num_threads: grain read threads for :meth:`iterate` (0 = main thread).
    """

    def __init__(
        self,
        source,
        *,
        global_batch_size,
        seed,
        process_index=0,
        process_count=1,
        pairs=False,
        same_camera=None,
        index=None,
        num_threads=0,
    ):
        if global_batch_size % process_count:
            raise ValueError(
                f"batch_size {global_batch_size} is not divisible by the "
                f"{process_count} processes"
            )
        if len(source) == 0:
            raise ValueError("the data source is empty")
        self.global_batch_size = global_batch_size
        self.local_batch_size = global_batch_size // process_count
        self._first = process_index * self.local_batch_size
        self._num_threads = num_threads

        order = grain.MapDataset.range(_STREAM_LENGTH).map(EpochOrder(len(source), seed))
        if pairs:
            index = pairing.build_index(source) if index is None else index
            sampler = pairing.PairSampler(index, same_camera)
            order = order.random_map(sampler, seed=seed + 1)
            records = order.map(
                lambda ij: {"source": to_float(source[ij[0]]), "target": to_float(source[ij[1]])}
            )
        else:
            records = order.map(lambda i: to_float(source[i]))
        self._records = records
        self._batches = grain.MapDataset.range(_STREAM_LENGTH // global_batch_size).map(
            self.local_batch
        )

    def positions(self, step):
        """Global stream positions of this process's rows of batch ``step``."""
        start = step * self.global_batch_size + self._first
        return range(start, start + self.local_batch_size)

    def local_batch(self, step):
        """This process's rows of global batch ``step`` (nested dict of numpy)."""
        rows = [self._records[j] for j in self.positions(step)]
        return _stack(rows)

    def iterate(self, start_step=0):
        """Yields local batches ``start_step, start_step + 1, ...`` read ahead by threads."""
        batches = self._batches[start_step:]
        if self._num_threads == 0:
            return (batches[i] for i in range(len(batches)))
        options = grain.ReadOptions(num_threads=self._num_threads, prefetch_buffer_size=4)
        return iter(batches.to_iter_dataset(options))


def _stack(rows):
    first = rows[0]
    if isinstance(first, dict):
        return {key: _stack([r[key] for r in rows]) for key in first}
    return np.stack(rows)


def default_data_dir():
    """``$GAZEJAX_DATA`` if set, else ``~/gazejax_data``."""
    return pathlib.Path(os.environ.get("GAZEJAX_DATA", "~/gazejax_data")).expanduser()


def open_source(data_config, split):
    """The random-access source of ``split`` named by a config's ``data`` group.

    ``data.builder`` is one of
      ``"synthgaze"``: ``gazejax.data.synthgaze_tfds``, rendered first if needed;
      ``"tfds:NAME/CONFIG"``: any prepared TFDS dataset (array_record) in
      ``data.dir``, e.g. one written by ``data_prep/`` (docs/datasets.md);
      read from its files, so its builder class need not be imported, and
      ``split`` may be any TFDS split string (``"p01+p02"``). Records are
      read on demand, so a dataset far bigger than memory streams, and each
      process reads only the records of its rows;
      ``"package.module:function"``: ``function(data_config, split, data_dir)``,
      the hook for anything else (and for tests).

    Returns:
      (source, index_cache_path): the sequence of record dicts and where the
      pairing index of this split is cached.
    """
    data_dir = pathlib.Path(data_config.dir or default_data_dir()).expanduser()
    if data_config.builder == "synthgaze":
        from gazejax.data import synthgaze_tfds

        name = synthgaze_tfds.build(
            data_dir,
            resolution=data_config.resolution,
            identities=data_config.identities,
            frames=data_config.frames,
            views=data_config.views,
            seed=data_config.seed,
            test_identities=data_config.test_identities,
            # runs saved before these options existed were lit per frame, without the bias
            one_light=data_config.get("one_light", False),
            camera_gaze_share=data_config.get("camera_gaze_share", 0.0),
            gaze_spread=data_config.get("gaze_spread", 1.0),
        )
        source = synthgaze_tfds.data_source(data_dir, name, split)
        return source, data_dir / "gazejax_index" / f"synthgaze_{name}_{split}.npz"
    if data_config.builder.startswith("tfds:"):
        import tensorflow_datasets as tfds

        name = data_config.builder.removeprefix("tfds:")
        source = tfds.data_source(name, split=split, data_dir=str(data_dir))
        return source, _converted_index(data_dir, name, split, source)
    module_name, sep, function = data_config.builder.partition(":")
    if not sep:
        raise ValueError(
            f"unknown data.builder {data_config.builder!r}: "
            "use 'synthgaze', 'tfds:NAME/CONFIG' or 'module:function'"
        )
    source = getattr(importlib.import_module(module_name), function)(data_config, split, data_dir)
    return source, None


def _converted_index(data_dir, name, split, source):
    """Pairing-index cache of a TFDS split string, cut from the per-split indexes a converter wrote.

    ``data_prep/`` converters write one index per split, so a fold such as
    ``"p01+p02"`` or a slice such as ``"train[:95%]"`` needs no scan of the
    images; the cut is redone when a part is newer than it.
    """
    import tensorflow_datasets as tfds

    index_dir = data_dir / "gazejax_index"
    prefix = name.replace("/", "_")
    path = index_dir / f"{prefix}_{split}.npz"
    pieces = tfds.core.ReadInstruction.from_spec(split).to_absolute(source.dataset_info.splits)
    parts = [index_dir / f"{prefix}_{piece.splitname}.npz" for piece in pieces]
    if parts == [path] or not all(p.is_file() for p in parts):
        return path
    if path.is_file() and path.stat().st_mtime >= max(p.stat().st_mtime for p in parts):
        return path
    cuts = []
    for piece, part in zip(pieces, parts):
        with np.load(part) as index:
            cuts.append({k: index[k][piece.from_:piece.to] for k in ("identity", "frame", "view")})
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")  # processes may race here
    np.savez(tmp, **{k: np.concatenate([c[k] for c in cuts]) for k in ("identity", "frame", "view")})
    os.replace(tmp, path)
    return path


def make_pipeline(data_config, split, *, global_batch_size, seed, process_index, process_count,
                  gaze_limit_deg=None):
    """A :class:`Pipeline` for ``split`` from a config's ``data`` group.

    ``gaze_limit_deg``: keep only records with ``|pitch|, |yaw|`` of ``gaze``
    within it (:mod:`gazejax.data.gaze_range`; not in pair mode).
    """
    source, cache_path = open_source(data_config, split)
    if gaze_limit_deg:
        if data_config.pairs:
            raise ValueError("a gaze limit on the training records is for single-image training, not pairs")
        source = gaze_range.RowSubset(source, gaze_range.rows_within(source, gaze_limit_deg, cache_path))
    index = None
    if data_config.pairs:
        index = pairing.build_index(source, cache_path)
    return Pipeline(
        source,
        global_batch_size=global_batch_size,
        seed=seed,
        process_index=process_index,
        process_count=process_count,
        pairs=data_config.pairs,
        same_camera=data_config.same_camera,
        index=index,
        num_threads=data_config.num_threads,
    )
