"""The machinery every ``data_prep/`` converter shares: units -> cached records -> one TFDS dataset.

A converter describes a dataset with a :class:`Converter`: its TFDS name and
config, its features, the list of input :class:`Unit` s (a file or a subject
folder each, tagged with the split its records go to) and a module-level
``read_unit(unit)`` generator that yields ``(key, record)`` or
``(key, record, source_file)`` and :class:`Skip` notes. :func:`convert` then

1. reads the units in parallel (a ``spawn`` process pool of ``workers``;
   ``workers=0`` reads in this process) with a progress bar;
2. checks every record against the features (keys, shapes, dtypes, finite
   values inside each feature's ``bounds``) and caches each unit's records in
   the work dir, atomically (written to a temporary name, then renamed): a
   killed run, rerun with the same settings, reads only the units not yet done;
3. writes the TFDS dataset (``array_record``, ``tfds.features.Tensor``
   features as SynthGaze, no TensorFlow) under a temporary directory and
   renames it into ``out_dir/<name>/<config>/<version>`` at the end, so
   nothing half-written is ever visible; records keep the unit order, then
   each unit's order (shuffling disabled), so a resumed run writes the same
   dataset as an uninterrupted one;
4. writes the pairing index of each split (``out_dir/gazejax_index/``, where
   :func:`gazejax.data.pipeline.open_source` looks for it) when the records
   carry ``identity``/``frame``/``view``;
5. returns a :class:`Summary` (records per split, what was skipped and why).

Bad input raises :class:`DataError` with one line that names the file.
Readers raise it themselves where they know the exact file; anything else a
reader raises is reported against its unit's ``path``.

Read the result with ``data.builder = "tfds:<name>/<config>"`` (see
:func:`gazejax.data.pipeline.open_source`).
"""

import collections
import concurrent.futures
import dataclasses
import json
import multiprocessing
import os
import pathlib
import pickle
import re
import shutil
import sys
import tempfile
import types
from typing import Callable, Iterator

import numpy as np
import tensorflow_datasets as tfds
import tqdm
from PIL import Image

from gazejax.errors import first_line

DATASET_VERSION = "1.0.0"
PAIRING_KEYS = ("identity", "frame", "view")


class DataError(ValueError):
    """Bad input data; the message is one line that starts with the offending file."""


def open_photo(source, where=None, listed_in=None):
    """The image ``source`` (a path or a file object) decoded as an RGB ``PIL.Image``.

    Raises :class:`DataError` naming ``where`` (default: ``source``) when the
    file is missing (``listed_in``: the annotation file that lists it) or is
    not a readable image (truncated, corrupt, not an image).
    """
    where = source if where is None else where
    try:
        with Image.open(source) as image:
            return image.convert("RGB")
    except FileNotFoundError:
        listed = f" (listed in {listed_in})" if listed_in else ""
        raise DataError(f"{where}: missing{listed}") from None
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"{where}: not a readable image ({e})") from None


@dataclasses.dataclass(frozen=True)
class Feature:
    """One record key: its shape, dtype and (for labels) the closed range of its values.

    uint8 features are stored zlib-compressed (images, masks). ``bounds`` =
    (low, high) checks every element; ``nan_ok`` lets a label be NaN where the
    dataset withholds it (e.g. ETH-XGaze's test labels).
    """

    shape: tuple
    dtype: type
    bounds: tuple | None = None
    nan_ok: bool = False

    def tfds_feature(self):
        encoding = tfds.features.Encoding.ZLIB if self.dtype == np.uint8 else tfds.features.Encoding.NONE
        return tfds.features.Tensor(shape=self.shape, dtype=self.dtype, encoding=encoding)


@dataclasses.dataclass(frozen=True)
class Unit:
    """One input unit, read by one worker call.

    key: stable unique id (``"train/subject0000"``); names its cache file and
      orders the records.
    split: the split its records go to.
    path: the file or folder an unexpected failure is blamed on.
    args: extra picklable arguments for the reader (e.g. a calibration path).
    """

    key: str
    split: str
    path: str
    args: tuple = ()


@dataclasses.dataclass(frozen=True)
class Skip:
    """Yielded by a reader for input it leaves out: ``path`` and a short ``reason``."""

    path: str
    reason: str


@dataclasses.dataclass(frozen=True)
class Converter:
    """What :func:`convert` needs to know about one dataset build.

    name, config: TFDS dataset and config names (``eth_xgaze``, ``normalized224``).
    features: ``{key: Feature}``; every record has exactly these keys.
    units: the input units, in output order.
    read_unit: module-level generator function ``read_unit(unit)`` yielding
      ``(record_key, record_dict)``, or ``(record_key, record_dict, file)``
      to blame a bad record on its own file rather than the unit's, and
      :class:`Skip`; it runs in worker
      processes, so it must be importable and its unit picklable.
    settings: JSON-able options that change the records (size, subset...);
      a work dir is only resumed with the same settings.
    description: one line for the dataset info.
    """

    name: str
    config: str
    features: dict
    units: list
    read_unit: Callable[[Unit], Iterator]
    settings: dict = dataclasses.field(default_factory=dict)
    description: str = ""

    @property
    def splits(self):
        return list(dict.fromkeys(unit.split for unit in self.units))


@dataclasses.dataclass
class Summary:
    """What :func:`convert` did: ``records`` per split and ``skipped`` [(path, reason)]."""

    dataset_dir: pathlib.Path
    records: dict
    skipped: list
    resumed_units: int = 0

    def lines(self):
        """Human-readable lines: counts per split, then skips grouped by reason."""
        out = [f"wrote {self.dataset_dir}: " + ", ".join(f"{n} {s}" for s, n in self.records.items())]
        if self.resumed_units:
            out.append(f"resumed: {self.resumed_units} units read from the work dir")
        by_reason = collections.defaultdict(list)
        for path, reason in self.skipped:
            by_reason[reason].append(path)
        for reason, paths in sorted(by_reason.items()):
            example = ", ".join(paths[:3]) + (", ..." if len(paths) > 3 else "")
            out.append(f"skipped {len(paths)}: {reason} ({example})")
        return out


def dataset_dir(out_dir, name, config):
    """Where :func:`convert` puts the finished dataset."""
    return pathlib.Path(out_dir) / name / config / DATASET_VERSION


def check_record(features, record, path):
    """Casts ``record`` to the features' dtypes, raising :class:`DataError` naming ``path``."""
    if set(record) != set(features):
        missing, extra = sorted(set(features) - set(record)), sorted(set(record) - set(features))
        raise DataError(f"{path}: record keys differ from the features (missing {missing}, extra {extra})")
    out = {}
    for key, feature in features.items():
        value = np.asarray(record[key])
        if value.shape != tuple(feature.shape):
            raise DataError(f"{path}: {key} has shape {value.shape}, expected {tuple(feature.shape)}")
        if np.issubdtype(value.dtype, np.floating) and not np.issubdtype(feature.dtype, np.floating):
            raise DataError(f"{path}: {key} is {value.dtype}, expected {np.dtype(feature.dtype)}")
        if np.issubdtype(value.dtype, np.number):
            nan = np.isnan(value) if np.issubdtype(value.dtype, np.floating) else np.zeros(value.shape, bool)
            if np.any(nan) and not feature.nan_ok or np.any(np.isinf(value)):
                raise DataError(f"{path}: {key} is not finite")
            if feature.bounds is not None:
                low, high = feature.bounds
                known = value[~nan]
                if np.any((known < low) | (known > high)):
                    bad = known[(known < low) | (known > high)].flat[0]
                    raise DataError(f"{path}: {key} value {bad:.6g} outside [{low:.6g}, {high:.6g}]")
        out[key] = value.astype(feature.dtype)
    return out


def _cache_name(unit_key):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", unit_key)


def _read_to_cache(read_unit, features, unit, work_dir):
    """Worker: reads one unit, checks its records, caches them; returns (count, skipped)."""
    base = pathlib.Path(work_dir) / _cache_name(unit.key)
    tmp = base.with_suffix(f".records.tmp{os.getpid()}")
    count, skipped = 0, []
    try:
        with open(tmp, "wb") as f:
            for item in read_unit(unit):
                if isinstance(item, Skip):
                    skipped.append((item.path, item.reason))
                    continue
                key, record, *source = item
                record = check_record(features, record, source[0] if source else unit.path)
                pickle.dump((key, record), f, protocol=5)
                count += 1
    except DataError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as e:  # the reader's own errors, blamed on the unit's file
        tmp.unlink(missing_ok=True)
        raise DataError(f"{unit.path}: {first_line(e)}") from None
    os.replace(tmp, base.with_suffix(".records"))
    done = base.with_suffix(".done.tmp")
    done.write_text(json.dumps({"count": count, "skipped": skipped}))
    os.replace(done, base.with_suffix(".done"))  # the unit counts as cached only now
    return count, skipped


def _cached(work_dir, unit):
    done = pathlib.Path(work_dir) / (_cache_name(unit.key) + ".done")
    if not done.is_file():
        return None
    state = json.loads(done.read_text())
    return state["count"], [tuple(s) for s in state["skipped"]]


def _iter_cached_records(work_dir, unit):
    with open(pathlib.Path(work_dir) / (_cache_name(unit.key) + ".records"), "rb") as f:
        while True:
            try:
                yield pickle.load(f)
            except EOFError:
                return


class _ConvertedBuilder(tfds.core.GeneratorBasedBuilder, skip_registration=True):
    """Writes cached unit records as one TFDS dataset; subclassed per dataset by :func:`_builder`."""

    VERSION = tfds.core.Version(DATASET_VERSION)
    RELEASE_NOTES = {DATASET_VERSION: "Converted by gazejax data_prep."}
    converter: Converter = None
    work_dir: pathlib.Path = None

    @tfds.core.utils.classproperty
    @classmethod
    def code_path(cls):
        return None  # nothing downloaded, no checksums file next to the module

    def _info(self):
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {k: f.tfds_feature() for k, f in self.converter.features.items()}),
            disable_shuffling=True,
            description=self.converter.description,
        )

    def _split_generators(self, dl_manager):
        del dl_manager
        return {split: self._generate_examples(split) for split in self.converter.splits}

    def _generate_examples(self, split):
        for unit in self.converter.units:
            if unit.split == split:
                yield from _iter_cached_records(self.work_dir, unit)


def _builder(converter, work_dir, data_dir):
    cls = types.new_class(
        f"Converted_{converter.name}", (_ConvertedBuilder,), {"skip_registration": True},
        lambda ns: ns.update(
            __module__=__name__, name=converter.name, converter=converter, work_dir=pathlib.Path(work_dir),
            BUILDER_CONFIGS=[tfds.core.BuilderConfig(name=converter.config,
                                                     description=converter.description)]),
    )
    return cls(data_dir=str(data_dir), config=converter.config, file_format="array_record")


def check_work_dir(work_dir, settings):
    """Claims ``work_dir`` for a run with ``settings`` (a JSON-able dict), or resumes one with the same.

    A work dir left by a run with other settings is refused with one line (its cache is not ours).
    """
    path = work_dir / "settings.json"
    if path.is_file():
        if json.loads(path.read_text()) != settings:
            raise DataError(f"{work_dir}: work dir of a run with other settings; "
                            "delete it or pass another --work-dir")
    else:
        work_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))


def _read_units(converter, work_dir, workers, progress):
    """Reads every unit not cached yet; returns the number found already cached."""
    todo = [u for u in converter.units if _cached(work_dir, u) is None]
    resumed = len(converter.units) - len(todo)
    bar = tqdm.tqdm(total=len(converter.units), initial=resumed, unit="unit",
                    desc=f"{converter.name}/{converter.config}", disable=not progress)
    with bar:
        if workers == 0:
            for unit in todo:
                _read_to_cache(converter.read_unit, converter.features, unit, work_dir)
                bar.update()
            return resumed
        context = multiprocessing.get_context("spawn")  # fork after JAX/threads is unsafe
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [pool.submit(_read_to_cache, converter.read_unit, converter.features, u, work_dir)
                       for u in todo]
            try:
                for future in concurrent.futures.as_completed(futures):
                    future.result()
                    bar.update()
            except concurrent.futures.process.BrokenProcessPool:
                raise RuntimeError("a reader process died (out of memory?); "
                                   "rerun to resume from the work dir") from None
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    return resumed


def _write_pairing_index(converter, work_dir, out_dir):
    if not set(PAIRING_KEYS) <= set(converter.features):
        return
    for split in converter.splits:
        ids = [[record[k] for k in PAIRING_KEYS]
               for unit in converter.units if unit.split == split
               for _, record in _iter_cached_records(work_dir, unit)]
        ids = np.asarray(ids, np.int32).reshape(-1, 3)
        path = pathlib.Path(out_dir) / "gazejax_index" / f"{converter.name}_{converter.config}_{split}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npz")
        np.savez(tmp, identity=ids[:, 0], frame=ids[:, 1], view=ids[:, 2])
        os.replace(tmp, path)


def convert(converter, out_dir, *, workers=0, work_dir=None, progress=True, keep_work=False):
    """Converts every unit of ``converter`` into ``out_dir/<name>/<config>/<version>``.

    Args:
      converter: the :class:`Converter`.
      out_dir: the TFDS data dir (``data.dir`` of the configs that read it).
      workers: reader processes (0 = read in this process).
      work_dir: where unit results are cached (default
        ``out_dir/.work/<name>/<config>``); a rerun resumes from it.
      progress: show a progress bar.
      keep_work: keep the work dir after success (it is deleted by default).

    Returns:
      A :class:`Summary`.

    Raises:
      DataError: one line naming the file: bad input, no units, a finished
        dataset already at the destination, a work dir with other settings.
    """
    out_dir = pathlib.Path(out_dir)
    final = dataset_dir(out_dir, converter.name, converter.config)
    if final.exists():
        raise DataError(f"{final}: already converted; delete it to convert again")
    if not converter.units:
        raise DataError(f"{out_dir}: nothing to convert for {converter.name}/{converter.config}")
    work_dir = pathlib.Path(work_dir or out_dir / ".work" / converter.name / converter.config)
    check_work_dir(work_dir, {"name": converter.name, "config": converter.config, **converter.settings})
    resumed = _read_units(converter, work_dir, workers, progress)

    records, skipped = collections.Counter(), []
    for unit in converter.units:
        count, unit_skipped = _cached(work_dir, unit)
        records[unit.split] += count
        skipped += unit_skipped
    empty = [split for split in converter.splits if records[split] == 0]
    if empty:
        raise DataError(f"{out_dir}: no records left for split(s) {', '.join(empty)} "
                        f"({len(skipped)} inputs skipped)")

    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{converter.name}-{converter.config}.", dir=out_dir) as tmp:
        _builder(converter, work_dir, tmp).download_and_prepare()
        # the index before the rename: a finished dataset is never left without one
        _write_pairing_index(converter, work_dir, out_dir)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(dataset_dir(tmp, converter.name, converter.config), final)
    if not keep_work:
        shutil.rmtree(work_dir)
    return Summary(final, dict(records), skipped, resumed)


def add_arguments(parser):
    """The options every converter script takes: ``--out``, ``--workers``, ``--work-dir``."""
    parser.add_argument("--out", default=None,
                        help="TFDS data dir to write into (default: $GAZEJAX_DATA or ~/gazejax_data)")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) - 1),
                        help="reader processes (0 = read in this process)")
    parser.add_argument("--work-dir", default=None,
                        help="cache of finished units; rerun with the same one to resume")


def run_script(prog, converter_from_args, argv, parser):
    """``main`` of a converter script: builds the converter, converts, prints the summary.

    Bad input prints ``prog: error: <one line>`` and returns 2.
    """
    from gazejax.data.pipeline import default_data_dir

    args = parser.parse_args(argv)
    out = pathlib.Path(args.out) if args.out else default_data_dir()
    try:
        converter = converter_from_args(args)
        summary = convert(converter, out, workers=args.workers, work_dir=args.work_dir)
    except (DataError, OSError, RuntimeError) as e:
        print(f"{prog}: error: {first_line(e)}", file=sys.stderr, flush=True)
        return 2
    for line in summary.lines():
        print(line)
    print(f'read it with data.builder="tfds:{converter.name}/{converter.config}" data.dir="{out}"')
    return 0
