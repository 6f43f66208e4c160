"""Orbax checkpoints of a training run (``CheckpointManager``, restored from abstract targets).

Each checkpoint ``workdir/checkpoints/<step>`` holds two items: ``train``
(``{'state': TrainState, 'step_key': the trainer's key}``) and ``data`` (JSON:
the next data-stream step; batches are a pure function of it). The last
``keep`` checkpoints are kept, plus the best one by ``best_metric`` if set.
Saving is asynchronous; restoring is from abstract targets carrying shardings,
so arrays come back already placed on the mesh. Every process must call
``save`` and ``restore``.
"""

import pathlib

import jax
import orbax.checkpoint as ocp
from orbax.checkpoint import checkpoint_managers


class Checkpoints:
    """An orbax CheckpointManager for ``workdir/checkpoints`` with our items and policy.

    Args:
      workdir: the run directory.
      keep: how many of the latest checkpoints to keep.
      best_metric: metric name (passed to :meth:`save`) whose best checkpoint
        is kept as well ("" = none).
      best_mode: "min" or "max".
    """

    def __init__(self, workdir, keep, best_metric="", best_mode="min"):
        if best_mode not in ("min", "max"):
            raise ValueError(f"best_mode must be 'min' or 'max', got {best_mode!r}")
        self.best_metric = best_metric
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
            cleanup_tmp_directories=True,
        )
        directory = pathlib.Path(workdir).absolute() / "checkpoints"
        self.manager = ocp.CheckpointManager(directory, options=options)

    def save(self, state, step_key, data_step, metrics=None):
        """Starts saving at ``int(state.step)`` (async).

        Raises ValueError if ``best_metric`` is set but missing from ``metrics``.
        """
        if self.best_metric and self.best_metric not in (metrics or {}):
            raise ValueError(
                f"best_metric {self.best_metric!r} is not among the metrics {sorted(metrics or {})}"
            )
        args = ocp.args.Composite(
            train=ocp.args.StandardSave({"state": state, "step_key": step_key}),
            data=ocp.args.JsonSave({"step": int(data_step)}),
        )
        self.manager.save(int(state.step), args=args, metrics=metrics or None, force=True)

    def restore(self, abstract_state, abstract_key, step):
        """Restores checkpoint ``step`` into the shardings of the abstract targets.

        Returns:
          (state, step_key, data_step).
        """
        restored = self.manager.restore(
            step,
            args=ocp.args.Composite(
                train=ocp.args.StandardRestore({"state": abstract_state, "step_key": abstract_key}),
                data=ocp.args.JsonRestore(),
            ),
        )
        return restored.train["state"], restored.train["step_key"], restored.data["step"]

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


def restore_subtrees(workdir, step, paths):
    """Only the parts ``paths`` of checkpoint ``step``'s state, on the default device.

    ``paths`` are dotted paths into the saved ``TrainState`` (``"params"``,
    ``"extra.buffers"``; a path the run does not have is left out); nothing else is read, so inference needs neither the
    optimizer state nor the frozen loss networks a run was trained with.
    Shapes and dtypes come from the checkpoint's own metadata.

    Returns:
      ``{first: {second: ...}}`` nested like the paths, holding jax Arrays.
    """
    directory = pathlib.Path(workdir).absolute() / "checkpoints" / str(int(step)) / "train"
    handler = ocp.PyTreeCheckpointHandler()
    saved = handler.metadata(directory).tree["state"]
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
    with ocp.Checkpointer(handler) as checkpointer:
        restored = checkpointer.restore(directory, args=ocp.args.PyTreeRestore(
            item={"state": wanted}, restore_args={"state": restore_args}, partial_restore=True))
    return restored["state"]


def _subtree(tree, path):
    """``tree[a][b]`` for ``path`` ``"a.b"``, or None where a part is missing or empty."""
    for part in path.split("."):
        tree = tree.get(part) if isinstance(tree, dict) else None
        if not tree:
            return None
    return tree
