"""Orbax checkpoints of a training run, checked on the way in and on the way out.

Each checkpoint ``workdir/checkpoints/<step>`` holds three items: ``train``
(``{'state': TrainState, 'step_key': the trainer's key}``), ``data`` (JSON:
the next data-stream step; batches are a pure function of it) and
``checksums`` (JSON: the CRC-32 of every array of ``train``, by dotted path
such as ``state.params.Dense_0.kernel``).

- **Nothing non-finite is written.** :meth:`Checkpoints.save` reads every
  array first and raises :class:`NonFiniteStateError` (a NaN/inf array) or
  :class:`~gazejax.train.metrics_log.NonFiniteLossError` (a NaN/inf metric)
  instead of saving, so a diverged state never becomes the newest checkpoint,
  is never ranked best, and never makes retention delete a good one.
- **Retention** (orbax preservation policies): the last ``keep`` checkpoints,
  plus the best one by ``best_metric`` whatever its age.
- **Restoring verifies.** Every stored value is first read once, one at a
  time, through tensorstore, which checks its index's CRC-32C and the values'
  byte ranges (a damaged file then fails with one error, not a traceback per
  array in flight); the saved tree must have the target's paths and shapes
  (else :class:`CheckpointMismatchError`: another model, not damage); each
  restored array must match its checksum and be finite. Anything else is
  :class:`CheckpointError`, one line naming the checkpoint and the bad array
  or file, and :func:`newest_intact` falls back to the previous checkpoint.
  Checkpoints written before checksums existed are checked for finiteness only.

Saving is asynchronous once the arrays are checked; restoring is from abstract
targets carrying shardings, so arrays come back already placed on the mesh.
Every process must call ``save`` and ``restore``.
"""

import json
import pathlib
import shutil
import sys
import zlib

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
import tensorstore as ts
from jax.experimental import multihost_utils
from orbax.checkpoint import checkpoint_managers

from gazejax.errors import first_line
from gazejax.train.metrics_log import NonFiniteLossError, check_finite

UNREADABLE_DIR = "unreadable_checkpoints"  # where the trainer moves checkpoints it cannot use


class CheckpointError(ValueError):
    """A checkpoint that cannot be used (unreadable, truncated, corrupted, non-finite); one line."""


class CheckpointMismatchError(ValueError):
    """An intact checkpoint whose arrays do not fit the state this config builds; one line."""


class NonFiniteStateError(NonFiniteLossError):
    """A state to be saved holds NaN or inf; the message names the step and the array."""


class Checkpoints:
    """An orbax CheckpointManager for ``workdir/checkpoints`` with our items and policy.

    Args:
      workdir: the run directory.
      keep: how many of the latest checkpoints to keep.
      best_metric: metric name (passed to :meth:`save`) whose best checkpoint
        is kept as well ("" = none).
      best_mode: "min" or "max".
      read_only: for reading only (evaluation, inference): creates no
        directory, cleans nothing up, moves no checkpoint aside; not for :meth:`save`.

    Raises:
      CheckpointError: a checkpoint's metrics file, read here, is garbled.
    """

    def __init__(self, workdir, keep, best_metric="", best_mode="min", read_only=False):
        if best_mode not in ("min", "max"):
            raise ValueError(f"best_mode must be 'min' or 'max', got {best_mode!r}")
        self.best_metric = best_metric
        self.read_only = read_only
        self.workdir = pathlib.Path(workdir).absolute()
        self.directory = self.workdir / "checkpoints"
        policies = [checkpoint_managers.LatestN(keep)]
        best_fn = None
        if best_metric:

            def best_fn(metrics):
                return metrics[best_metric]

            policies.append(
                checkpoint_managers.BestN(get_metric_fn=best_fn, reverse=best_mode == "min", n=1)
            )
        options = ocp.CheckpointManagerOptions(
            preservation_policy=checkpoint_managers.AnyPreservationPolicy(policies),
            best_fn=best_fn,
            best_mode=best_mode,
            enable_async_checkpointing=True,
            # orbax's own read_only option logs a warning on every use: ours only reads
            create=not read_only,
            cleanup_tmp_directories=not read_only,
        )
        try:  # orbax reads every checkpoint's metrics here
            self.manager = ocp.CheckpointManager(self.directory, options=options)
        except Exception as e:  # noqa: BLE001 - whatever a damaged file raises, report it in one line
            raise CheckpointError(f"cannot read the checkpoints in {self.directory}: "
                                  f"{_describe_failure(self.directory, e)}") from e

    def save(self, state, step_key, data_step, metrics=None):
        """Checks ``state`` and ``metrics``, then starts saving at ``int(state.step)`` (async).

        Raises:
          NonFiniteStateError: an array of the state is NaN/inf (nothing is saved).
          NonFiniteLossError: a metric is NaN/inf (nothing is saved).
          ValueError: ``best_metric`` is set but missing from ``metrics``.
        """
        step = int(state.step)
        if self.best_metric and self.best_metric not in (metrics or {}):
            raise ValueError(
                f"best_metric {self.best_metric!r} is not among the metrics {sorted(metrics or {})}"
            )
        train = {"state": state, "step_key": step_key}
        checksums = {}
        for path, array in _host_arrays(train):
            if not _finite(array):
                raise NonFiniteStateError(f"step {step}: {path} holds {_non_finite_kind(array)}")
            checksums[path] = zlib.crc32(array.tobytes())
        check_finite(step, metrics or {})
        args = ocp.args.Composite(
            train=ocp.args.StandardSave(train),
            data=ocp.args.JsonSave({"step": int(data_step)}),
            checksums=ocp.args.JsonSave({"crc32": checksums}),
        )
        self.manager.save(step, args=args, metrics=metrics or None, force=True)

    def restore(self, abstract_state, abstract_key, step):
        """Restores and verifies checkpoint ``step`` into the shardings of the abstract targets.

        Returns:
          (state, step_key, data_step).

        Raises:
          CheckpointError: unreadable, or an array fails its checksum or is not finite.
          CheckpointMismatchError: the checkpoint holds a differently shaped state.
        """
        directory = self.directory / str(int(step))
        target = {"state": abstract_state, "step_key": abstract_key}
        _read_stored_values(directory)
        _check_structure(directory, target)
        try:
            restored = self.manager.restore(
                step,
                args=ocp.args.Composite(
                    train=ocp.args.StandardRestore(target), data=ocp.args.JsonRestore()
                ),
            )
        except Exception as e:  # noqa: BLE001 - tensorstore and json raise many types on damaged files
            raise CheckpointError(_unreadable(directory, e)) from e
        _verify(directory, restored.train)
        return restored.train["state"], restored.train["step_key"], restored.data["step"]

    def restore_newest(self, abstract_state, abstract_key):
        """The newest intact checkpoint, restored: ``(step, (state, step_key, data_step))``.

        Unusable newer checkpoints are reported in one line each and, unless
        read-only, moved to ``workdir/unreadable_checkpoints`` so that saving
        and retention go on from the intact one. None without any checkpoint.
        """
        return newest_intact(
            self.all_steps(),
            lambda step: self.restore(abstract_state, abstract_key, step),
            set_aside=None if self.read_only else self._set_aside,
        )

    def _set_aside(self, step):
        """Moves checkpoint ``step`` out of the manager's directory; returns where to."""
        destination = self.workdir / UNREADABLE_DIR / str(step)
        if jax.process_index() == 0:
            suffix = 0
            while destination.exists():  # the same step went bad before
                suffix += 1
                destination = self.workdir / UNREADABLE_DIR / f"{step}.{suffix}"
            destination.parent.mkdir(exist_ok=True)
            shutil.move(self.directory / str(step), destination)
        if jax.process_count() > 1:
            multihost_utils.sync_global_devices(f"gazejax set aside checkpoint {step}")
        self.manager.reload()
        return destination

    def latest_step(self):
        return self.manager.latest_step()

    def best_step(self):
        """The kept step with the best ``best_metric`` (None without one)."""
        return self.manager.best_step() if self.best_metric else None

    def all_steps(self):
        return list(self.manager.all_steps())

    def close(self):
        """Waits for pending saves, then releases the manager."""
        self.manager.wait_until_finished()
        self.manager.close()


def newest_intact(steps, restore, set_aside=None):
    """``(step, restore(step))`` for the newest of ``steps`` that ``restore`` accepts.

    ``restore`` raises :class:`CheckpointError` for an unusable checkpoint;
    once an intact one is found, each skipped one is reported on stderr in one
    line (and passed to ``set_aside(step) -> where it went`` if given). Nothing
    is set aside when no checkpoint is intact.

    Returns:
      ``(step, value)``, or None when ``steps`` is empty.

    Raises:
      CheckpointError: no checkpoint is intact; names the newest one's fault.
    """
    failures = []
    for step in sorted(steps, reverse=True):
        try:
            value = restore(step)
        except CheckpointError as e:
            failures.append((step, e))
            continue
        for bad, error in failures:
            moved = f"; moved to {set_aside(bad)}" if set_aside else ""
            if jax.process_index() == 0:
                print(f"{error}; using checkpoint {step}{moved}", file=sys.stderr)
        return step, value
    if len(failures) > 1:
        raise CheckpointError(f"{failures[0][1]}; none of the {len(failures) - 1} earlier ones is intact either")
    if failures:
        raise failures[0][1]
    return None


def restore_subtrees(workdir, step, paths):
    """Only the parts ``paths`` of checkpoint ``step``'s state, verified, on the default device.

    ``paths`` are dotted paths into the saved ``TrainState`` (``"params"``,
    ``"extra.buffers"``; a path the run does not have is left out); nothing else is read, so inference needs neither the
    optimizer state nor the frozen loss networks a run was trained with.
    Shapes and dtypes come from the checkpoint's own metadata; the arrays read
    are checked against their checksums and for finiteness.

    Returns:
      ``{first: {second: ...}}`` nested like the paths, holding jax Arrays.

    Raises:
      CheckpointError: no such checkpoint, or it is unreadable or corrupted.
    """
    step_dir = pathlib.Path(workdir).absolute() / "checkpoints" / str(int(step))
    if not step_dir.is_dir():
        raise CheckpointError(f"no checkpoint {step} in {step_dir.parent}")
    directory = step_dir / "train"
    _read_stored_values(step_dir, prefixes=tuple(f"state.{path}" for path in paths))
    handler = ocp.PyTreeCheckpointHandler()
    saved = _saved_tree(handler, step_dir)["state"]
    device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    wanted = {}
    for path in paths:
        node = _subtree(saved, path)
        if node is None:
            continue
        *parents, leaf = path.split(".")
        target = wanted
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = jax.tree.map(lambda m: jax.ShapeDtypeStruct(m.shape, m.dtype, sharding=device), node)
    restore_args = jax.tree.map(lambda s: ocp.ArrayRestoreArgs(sharding=s.sharding), wanted)
    try:
        with ocp.Checkpointer(handler) as checkpointer:
            restored = checkpointer.restore(directory, args=ocp.args.PyTreeRestore(
                item={"state": wanted}, restore_args={"state": restore_args}, partial_restore=True))
    except Exception as e:  # noqa: BLE001 - tensorstore and json raise many types on damaged files
        raise CheckpointError(_unreadable(step_dir, e)) from e
    _verify(step_dir, restored)
    return restored["state"]


def _subtree(tree, path):
    """``tree[a][b]`` for ``path`` ``"a.b"``, or None where a part is missing or empty."""
    for part in path.split("."):
        tree = tree.get(part) if isinstance(tree, dict) else None
        if not tree:
            return None
    return tree


def _saved_tree(handler, step_dir):
    """The ``train`` item's tree of array metadata (shapes, dtypes) as saved."""
    try:
        return handler.metadata(step_dir / "train").tree
    except Exception as e:  # noqa: BLE001 - a damaged metadata file raises json or tensorstore errors
        raise CheckpointError(_unreadable(step_dir, e)) from e


def _check_structure(step_dir, target):
    """Raises CheckpointMismatchError unless the saved arrays have ``target``'s paths and shapes."""
    saved = {path: tuple(m.shape) for path, m in _flat(_saved_tree(ocp.PyTreeCheckpointHandler(), step_dir))}
    wanted = {path: tuple(x.shape) for path, x in _flat(target)}
    problem = None
    if missing := sorted(wanted.keys() - saved.keys()):
        problem = f"it lacks {missing[0]}" + (f" and {len(missing) - 1} more arrays" if len(missing) > 1 else "")
    elif extra := sorted(saved.keys() - wanted.keys()):
        problem = f"it has {extra[0]}, which this config does not build"
    elif differ := [p for p in sorted(wanted) if wanted[p] != saved[p]]:
        p = differ[0]
        problem = f"{p} has shape {saved[p]}, this config builds {wanted[p]}"
    if problem:
        raise CheckpointMismatchError(
            f"{_label(step_dir)} does not fit this config's model: {problem}")


def _read_stored_values(step_dir, prefixes=("",)):
    """Reads the stored values of the ``train`` item (those whose key starts with a prefix) one at a time.

    tensorstore checks each B-tree node's CRC-32C and each value's byte range
    as it reads, so a damaged or truncated file fails here with one error,
    where orbax's parallel restore would print a traceback per array still
    in flight. Values are array chunks, compressed: their contents are
    checked against the checksums after the restore.
    """
    directory = step_dir / "train"
    if not (directory / "manifest.ocdbt").is_file():  # an item written without OCDBT
        return
    key = b"its index"
    try:
        store = ts.KvStore.open({"driver": "ocdbt", "base": {"driver": "file", "path": f"{directory}/"}}).result()
        for key in store.list().result():
            if key.decode().startswith(prefixes):
                store.read(key).result()
    except ValueError as e:
        raise CheckpointError(f"{_label(step_dir)} is unreadable: {key.decode()}: {_first_line(e)}") from e


def _verify(step_dir, train):
    """Raises CheckpointError if an array of the restored ``train`` tree fails its checksum or is not finite."""
    checksums = None
    if (step_dir / "checksums").is_dir():
        try:
            checksums = ocp.JsonCheckpointHandler().restore(step_dir / "checksums")["crc32"]
        except Exception as e:  # noqa: BLE001 - a damaged file raises json, key or type errors
            raise CheckpointError(_unreadable(step_dir, e)) from e
    for path, array in _host_arrays(train):
        if checksums is not None and checksums.get(path) != zlib.crc32(array.tobytes()):
            raise CheckpointError(f"{_label(step_dir)} is corrupted: {path} does not match its checksum")
        if not _finite(array):
            raise CheckpointError(f"{_label(step_dir)} holds {_non_finite_kind(array)} in {path}")


def _flat(tree):
    """``[(dotted path, leaf)]``: the names used in checksums and messages."""
    leaves, _ = jax.tree_util.tree_flatten_with_path(tree)
    return [(jax.tree_util.keystr(path, simple=True, separator="."), leaf) for path, leaf in leaves]


def _host_arrays(tree):
    """``(dotted path, numpy array)`` per leaf, one leaf at a time (a big state is not copied whole).

    A key array gives its key data; an array replicated over several
    processes gives this process's copy (the trainer replicates its state).
    """
    for path, x in _flat(tree):
        if jnp.issubdtype(x.dtype, jax.dtypes.prng_key):
            x = jax.random.key_data(x)
        if isinstance(x, jax.Array) and not x.is_fully_addressable:
            x = x.addressable_data(0)
        yield path, np.asarray(jax.device_get(x))


def _finite(array):
    return not jnp.issubdtype(array.dtype, jnp.inexact) or bool(np.isfinite(array).all())


def _non_finite_kind(array):
    return "NaN" if np.isnan(array).any() else "inf"


def _label(step_dir):
    return f"checkpoint {step_dir.name} in {step_dir.parent}"


def _unreadable(step_dir, error):
    return f"{_label(step_dir)} is unreadable: {_describe_failure(step_dir, error)}"


def _describe_failure(directory, error):
    """One line for what went wrong reading under ``directory``: the innermost error, and for
    garbled JSON the file that holds it (json names only a line and column)."""
    root = error
    while (root.__cause__ or root.__context__) is not None:
        root = root.__cause__ or root.__context__
    what = f"{type(root).__name__}: {_first_line(root)}"
    if isinstance(root, json.JSONDecodeError):
        garbled = _file_holding(directory, root.doc)
        if garbled is not None:
            return f"{garbled} is not valid JSON ({what})"
    return what


def _first_line(error):
    """The first line of ``error``'s message, without the JSON spec tensorstore appends."""
    return first_line(error).split(" [tensorstore_spec", 1)[0]


def _file_holding(directory, text):
    """The file under ``directory`` whose content is ``text``, or None."""
    size = len(text.encode())
    for path in sorted(pathlib.Path(directory).rglob("*")):
        if path.is_file() and path.stat().st_size == size and path.read_text(errors="replace") == text:
            return path
    return None
