"""The generic training loop: ``train(config, workdir)`` and ``evaluate(config, workdir)``.

A method plugs in through ``config.method`` (a module exposing ``METHOD``, see
:mod:`gazejax.train.method`); the config fields are documented in
:mod:`gazejax.train.config_loading`. The trainer owns:

- the mesh (all devices, ``'data'`` axis), replicated state, batch sharded on ``'data'``;
- init under jit with the state's out_shardings; the step under jit with explicit
  in/out shardings and the state donated;
- keys: ``init_key, step_key = split(PRNGKey(config.seed))``; step ``s`` gets
  ``fold_in(step_key, s)``. ``train_step`` must leave ``state.step`` alone: the
  trainer increments it;
- data: global batch ``s`` is a pure function of (data seed, s), so resuming
  restores the data position exactly;
- before any work: the config's ranges (:mod:`gazejax.train.config_checks`),
  then the workdir: a writable directory, locked for this trainer
  (:mod:`gazejax.train.workdir_lock`; a second trainer is refused at once);
- every ``log_every`` steps: metrics to ``metrics.jsonl`` + TensorBoard events
  (process 0), tqdm postfix, NaN/inf guard naming the step and term;
- every ``sample_every`` steps: ``METHOD.sample_images`` -> ``samples/step_<s>.png``;
- every ``checkpoint_every`` steps, at the end, and on SIGTERM/SIGINT (after the
  current step): orbax checkpoint; with ``eval_step``, ``eval.num_batches`` eval
  batches are averaged first and logged as split ``eval`` (and used for
  ``best_metric``). The step's training metrics and the whole state are
  checked finite first: a diverged run stops with :class:`NonFiniteLossError`
  and saves nothing, so its newest checkpoint is the last finite one.
- resuming: a rerun with the same workdir restores the newest intact
  checkpoint; newer ones that are unreadable or corrupted are reported and
  moved to ``workdir/unreadable_checkpoints`` (:mod:`gazejax.train.checkpointing`).
- SIGTERM/SIGINT: after that checkpoint, :class:`TrainingInterrupted`.
"""

import dataclasses
import functools
import json
import pathlib

import jax
import numpy as np
import tqdm
from jax.experimental import multihost_utils

from gazejax.data import pipeline as pipeline_lib
from gazejax.train import checkpointing, sharding
from gazejax.train.config_checks import check_config
from gazejax.train.config_loading import ConfigError
from gazejax.train.method import load_method, method_name
from gazejax.train.metrics_log import MetricsLog, NonFiniteLossError, check_finite
from gazejax.train.sample_grid import save_grid
from gazejax.train.stop_signal import StopSignal, TrainingInterrupted
from gazejax.train.workdir_lock import WorkdirLock


@dataclasses.dataclass
class _Run:
    """What train and evaluate share: method, mesh, data, abstract state, checkpoints."""

    config: object
    method: object
    mesh: object
    data: pipeline_lib.Pipeline
    abstract_state: object
    state_sharding: object
    checkpoints: checkpointing.Checkpoints
    init_key: jax.Array
    step_key: jax.Array

    @property
    def is_chief(self):
        return jax.process_index() == 0

    def global_batch(self, pipe, step):
        return sharding.global_batch(self.mesh, pipe.local_batch(step))

    @functools.cached_property
    def eval_pipeline(self):
        c = self.config
        return pipeline_lib.make_pipeline(
            c.data, c.data.eval_split, global_batch_size=c.batch_size, seed=c.seed,
            process_index=jax.process_index(), process_count=jax.process_count(),
        )

    @property
    def abstract_key(self):
        repl = sharding.replicated(self.mesh)
        return jax.ShapeDtypeStruct(self.step_key.shape, self.step_key.dtype, sharding=repl)

    def restore(self, step):
        """``(state, step_key, data_step)`` of checkpoint ``step``."""
        return self.checkpoints.restore(self.abstract_state, self.abstract_key, step)

    def restore_newest(self):
        """``(step, (state, step_key, data_step))`` of the newest intact checkpoint, or None."""
        return self.checkpoints.restore_newest(self.abstract_state, self.abstract_key)


def _setup(config, workdir, read_only=False):
    method = load_method(config.method)
    sharding.local_batch_size(config.batch_size)  # validates divisibility early
    mesh = sharding.make_mesh()
    try:
        data = pipeline_lib.make_pipeline(
            config.data, config.data.split, global_batch_size=config.batch_size, seed=config.seed,
            process_index=jax.process_index(), process_count=jax.process_count(),
            gaze_limit_deg=config.data.get("train_gaze_limit_deg"),
        )
    except OSError as e:  # data.dir not writable where the dataset or its index is written
        why = f"{e.strerror}: {e.filename}" if e.strerror and e.filename else str(e)
        raise ConfigError(f"cannot prepare the data in data.dir {config.data.dir!r}: {why}") from None
    init_key, step_key = jax.random.split(jax.random.PRNGKey(config.seed))
    example = sharding.global_batch(mesh, data.local_batch(0))
    abstract = jax.eval_shape(functools.partial(method.init, config), init_key, example)
    repl = sharding.replicated(mesh)
    state_sharding = jax.tree.map(lambda _: repl, abstract)
    abstract = jax.tree.map(
        lambda x, s: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=s), abstract, state_sharding
    )
    checkpoints = checkpointing.Checkpoints(
        workdir, config.keep_checkpoints, config.best_metric, config.best_mode, read_only=read_only
    )
    return _Run(
        config, method, mesh, data, abstract, state_sharding, checkpoints, init_key, step_key
    )


def training_step(config, method, state, batch, step_key, phase=None):
    """One training step with key ``fold_in(step_key, state.step)``; increments ``state.step``.

    The trainer jits this with the state replicated, the batch sharded on
    ``'data'`` and the state donated; ``phase`` (static) goes to methods that
    define ``Method.phase``.
    """
    key = jax.random.fold_in(step_key, state.step)
    if method.phase is None:
        new_state, metrics = method.train_step(config, state, batch, key)
    else:
        new_state, metrics = method.train_step(config, state, batch, key, phase=phase)
    return new_state.replace(step=state.step + 1), metrics


def parameter_counts(params):
    """``{group: count}`` per top-level entry of a param tree, plus ``'total'``."""
    groups = params if isinstance(params, dict) else {"params": params}
    counts = {
        name: sum(int(np.prod(x.shape)) for x in jax.tree.leaves(tree))
        for name, tree in groups.items()
    }
    counts["total"] = sum(counts.values())
    return counts


def _host_metrics(metrics):
    """Device scalars -> floats, ``'loss'`` first (it leads the progress bar)."""
    values = {k: float(v) for k, v in jax.device_get(metrics).items()}
    return {k: values[k] for k in sorted(values, key=lambda k: k != "loss")}


def _mean_eval_metrics(run, eval_step):
    pipe = run.eval_pipeline
    totals = {}
    for i in range(run.config.eval.num_batches):
        metrics = jax.device_get(eval_step(run.global_batch(pipe, i)))
        for k, v in metrics.items():
            totals[k] = totals.get(k, 0.0) + float(v) / run.config.eval.num_batches
    return totals


def train(config, workdir, progress=True):
    """Trains ``config`` in ``workdir`` (resuming from its checkpoints); returns the state.

    Raises:
      NonFiniteLossError: training diverged (a metric or the state became
        NaN/inf); nothing non-finite was saved. The message names the step,
        the term and the newest checkpoint.
      TrainingInterrupted: SIGTERM/SIGINT; a checkpoint was saved, a rerun resumes.
      ValueError: bad input, before any work: the config
        (:class:`~gazejax.train.config_loading.ConfigError`), the workdir
        (:class:`~gazejax.train.workdir_lock.WorkdirError`: a file, not
        writable, or in use by another trainer), no intact checkpoint to resume
        from (:class:`~gazejax.train.checkpointing.CheckpointError`) or one of
        another model (:class:`~gazejax.train.checkpointing.CheckpointMismatchError`).
    """
    check_config(config)
    workdir = pathlib.Path(workdir)
    with WorkdirLock(workdir, jax.process_index()):
        return _train(config, workdir, progress)


def _train(config, workdir, progress):
    run = _setup(config, workdir)
    try:
        return _train_steps(run, workdir, progress)
    except NonFiniteLossError as e:
        newest = run.checkpoints.latest_step()
        saved = "no checkpoint saved" if newest is None else f"the newest checkpoint is step {newest}"
        raise type(e)(f"{e}; {saved}") from None
    finally:
        run.checkpoints.close()


def _train_steps(run, workdir, progress):
    """Restores or initialises the state, then trains it up to ``num_steps``; returns it."""
    config, method, mesh = run.config, run.method, run.mesh
    repl = sharding.replicated(mesh)
    batch_sharding = sharding.data_sharding(mesh)

    newest = run.restore_newest()
    if newest is None:
        init = jax.jit(functools.partial(method.init, config), out_shardings=run.state_sharding)
        state = init(run.init_key, run.global_batch(run.data, 0))
        step_key, data_step = jax.device_put(run.step_key, repl), 0
    else:
        state, step_key, data_step = newest[1]

    compiled_steps = {}

    def train_step(step, state, batch, step_key):
        phase = None if method.phase is None else method.phase(config, step)
        if phase not in compiled_steps:
            compiled_steps[phase] = jax.jit(
                functools.partial(training_step, config, method, phase=phase),
                in_shardings=(run.state_sharding, batch_sharding, repl),
                out_shardings=(run.state_sharding, repl),
                donate_argnums=0,
            )
        return compiled_steps[phase](state, batch, step_key)

    eval_step = sample = None
    if method.eval_step is not None and config.eval.num_batches > 0:
        eval_step = jax.jit(functools.partial(method.eval_step, config), out_shardings=repl)
    if method.sample_images is not None and config.sample_every > 0:
        sample = jax.jit(
            functools.partial(method.sample_images, config), out_shardings=repl
        )

    log = MetricsLog(workdir, enabled=run.is_chief)
    start = int(state.step)
    if run.is_chief:
        (workdir / "config.json").write_text(config.to_json_best_effort(indent=2) + "\n")
        counts = parameter_counts(state.params)
        groups = ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "total")
        print(f"parameters: {counts['total']:,} ({groups})")
        if start:
            print(f"resuming from step {start}")

    last_metrics = {}
    bar = tqdm.tqdm(
        total=config.num_steps, initial=start, unit="step", disable=not (progress and run.is_chief),
        dynamic_ncols=True,
    )
    batches = run.data.iterate(data_step)
    try:
        with StopSignal() as stop:
            for step in range(start, config.num_steps):
                batch = sharding.global_batch(mesh, next(batches))
                state, metrics = train_step(step, state, batch, step_key)
                data_step += 1
                done = step + 1
                bar.update(1)
                logged = done % config.log_every == 0 or done == config.num_steps
                if logged:
                    last_metrics = _host_metrics(metrics)
                    check_finite(done, last_metrics)
                    log.write(done, last_metrics)
                    shown = list(last_metrics.items())[:4]
                    bar.set_postfix({k: f"{v:.4g}" for k, v in shown})
                stopping = _stop_requested(stop, may_sync=done % config.log_every == 0)
                if done % config.checkpoint_every == 0 or done == config.num_steps or stopping:
                    if not logged:  # the checkpoint is ranked by this step's metrics, not the last logged ones
                        last_metrics = _host_metrics(metrics)
                        # a diverged loss names its term better than the state would
                        check_finite(done, last_metrics)
                    saved_metrics = last_metrics
                    if eval_step is not None:
                        saved_metrics = _mean_eval_metrics(run, functools.partial(eval_step, state))
                    run.checkpoints.save(state, step_key, data_step, saved_metrics)
                    if eval_step is not None:
                        log.write(done, saved_metrics, split="eval")
                if sample is not None and done % config.sample_every == 0:
                    images = jax.device_get(sample(state, batch))
                    if run.is_chief:
                        grid = save_grid(workdir / "samples" / f"step_{done:07d}.png", images)
                        log.image(done, "samples", grid)
                if stopping and done < config.num_steps:
                    raise TrainingInterrupted(done)
    finally:
        bar.close()
        log.close()
    return state


def _stop_requested(stop, may_sync):
    """Whether to stop now; with several processes, agreed by all of them.

    A signal may reach only some processes, and all must take part in the
    final save, so the flag is all-gathered; that blocks the host, so only on
    steps where ``may_sync`` (the log steps, which block anyway).
    """
    if jax.process_count() == 1:
        return stop.requested
    if not may_sync:
        return False
    return bool(multihost_utils.process_allgather(np.int32(stop.requested)).max())


def _restore(run, workdir, best):
    """``(state, step)`` of the best checkpoint, or of the newest intact one."""
    missing = f"no checkpoint in {pathlib.Path(workdir) / 'checkpoints'}; train first"
    if not best:
        newest = run.restore_newest()
        if newest is None:
            raise ValueError(missing)
        return newest[1][0], newest[0]
    if not run.config.best_metric:
        raise ValueError("--best needs config.best_metric")
    step = run.checkpoints.best_step()
    if step is None:
        raise ValueError(missing)
    return run.restore(step)[0], step


def evaluate(config, workdir, best=False):
    """Restores the latest (or best) checkpoint and runs the evaluation protocol.

    Uses ``METHOD.evaluate(config, state, workdir)`` when the method has one:
    the result is ``{"method", "step", **its report}``, the report schema of
    :mod:`gazejax.evaluation`. Otherwise ``{"step", **means}``, the means of
    ``eval_step`` over ``eval.num_batches`` batches of ``data.eval_split``.
    Writes ``workdir/eval.json`` (process 0) and returns the result dict.
    Reads the checkpoints only: a workdir without any is a ValueError and
    stays as it was; a newest checkpoint that is unreadable or corrupted is
    reported and the one before it evaluated.
    """
    check_config(config)
    workdir = pathlib.Path(workdir)
    if not (workdir / "checkpoints").is_dir():
        raise ValueError(f"no checkpoint in {workdir / 'checkpoints'}; train first")
    run = _setup(config, workdir, read_only=True)
    try:
        state, step = _restore(run, workdir, best)
        if run.method.evaluate is not None:
            header = {"method": method_name(config.method), "step": int(step)}
            results = dict(run.method.evaluate(config, state, workdir))
        elif run.method.eval_step is not None:
            eval_step = jax.jit(
                functools.partial(run.method.eval_step, config),
                out_shardings=sharding.replicated(run.mesh),
            )
            header = {"step": int(step)}
            results = _mean_eval_metrics(run, functools.partial(eval_step, state))
        else:
            raise ValueError(f"method {config.method!r} defines neither evaluate nor eval_step")
    finally:
        run.checkpoints.close()
    results = {**header, **{k: _jsonable(v) for k, v in results.items()}}
    if run.is_chief:
        (workdir / "eval.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


def _jsonable(value):
    """``value`` with arrays as (nested) lists, dicts in their own order (a pytree map would sort them)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (jax.Array, np.ndarray, np.generic)):
        return np.asarray(value).tolist()
    return value
