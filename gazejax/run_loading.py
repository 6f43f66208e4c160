"""A trained run, loaded for inference: ``load_model(run_dir)``.

Inference needs three things from a run directory: its config, which method
it is, and the variables that method's forward pass uses. ``load_model``
reads exactly these (the method's ``Method.inference_state`` paths of the
checkpoint), and nothing that training needed: no data pipeline, no
optimizer state, no frozen loss networks, no trainer. A run copied to
another machine without its datasets or loss checkpoints still loads.

    run = load_model("runs/livegaze")
    run.config.model, run.method, run.step
    run.state["params"]                  # as restored, nested by path

An **inference bundle** is the same three things in one file
(``gazejax export --checkpoint RUN --bundle FILE``, :func:`save_bundle`):
a msgpack map ``{format, version, method, step, config (JSON), dtype,
state}``. It is how a small trained model travels (float16 halves it);
``load_model(FILE)`` reads it as it reads a run directory.
"""

import dataclasses
import json
import pathlib

import flax.serialization
import jax
import ml_collections
import numpy as np

from gazejax.convert.checkpoint import INFO_FILE, read_info
from gazejax.train import checkpointing
from gazejax.train.method import load_method, method_name

# config keys renamed since runs were first written: old dotted key -> new one
_RENAMED_KEYS = {
    "loss.vgg_checkpoint": "loss.perceptual_checkpoint",
    "eval.estimator": "eval.estimator_checkpoint",
}


class RunError(ValueError):
    """A run directory that cannot be loaded; the message is one line naming it."""


@dataclasses.dataclass(frozen=True)
class TrainedRun:
    """What :func:`load_model` returns.

    Attributes:
      config: the run's ConfigDict (as saved by the trainer).
      method: the canonical ``config.method`` (``"livegaze"``, ...).
      step: the checkpoint step restored.
      state: ``{path part: ...}`` nested dict of jax Arrays for each of the
        method's ``inference_state`` paths the run has.
    """

    config: ml_collections.ConfigDict
    method: str
    step: int
    state: dict


def load_run_config(run_dir, method=None):
    """The ConfigDict a run saved as ``run_dir/config.json`` (or a bundle holds), with current key names.

    Runs written before a rename still load: a former method module name
    becomes its short name and renamed keys get their new names.

    Raises:
      RunError: no run there, a garbled config.json, or (with ``method``) a
        run of another method.
    """
    if pathlib.Path(run_dir).is_file():
        return load_bundle(run_dir, method).config
    path = pathlib.Path(run_dir) / "config.json"
    if not path.is_file():
        raise RunError(f"{run_dir} is not a training run directory (no config.json)")
    try:
        config = ml_collections.ConfigDict(json.loads(path.read_text()))
    except (ValueError, UnicodeDecodeError) as e:
        raise RunError(f"{path} is not a readable run config: {e}") from None
    if "method" in config:
        config.method = method_name(config.method)
    for old, new in _RENAMED_KEYS.items():
        _rename(config, old, new)
    if method is not None and config.get("method") != method:
        raise RunError(f"{run_dir} holds a {config.get('method')!r} run, not a {method} one")
    return config


def _rename(config, old, new):
    group, _, key = old.partition(".")
    node = config.get(group)
    if isinstance(node, ml_collections.ConfigDict) and key in node:
        value = node[key]
        del node[key]
        node[new.partition(".")[2]] = value


def checkpoint_steps(run_dir, config, best=False):
    """The steps of ``run_dir``'s checkpoints, newest first (or only the best by ``config.best_metric``)."""
    directory = pathlib.Path(run_dir) / "checkpoints"
    if not directory.is_dir():
        raise RunError(f"no checkpoint in {directory}; train first")
    if best and not config.get("best_metric"):
        raise RunError(f"{run_dir} keeps no best checkpoint (its config has no best_metric)")
    try:
        checkpoints = checkpointing.Checkpoints(
            run_dir, config.get("keep_checkpoints", 1), config.get("best_metric", ""),
            config.get("best_mode", "min"), read_only=True)
    except checkpointing.CheckpointError as e:
        raise RunError(str(e)) from None
    try:
        steps = [checkpoints.best_step()] if best else sorted(checkpoints.all_steps(), reverse=True)
    finally:
        checkpoints.close()
    if not steps or steps[0] is None:
        raise RunError(f"no checkpoint in {directory}; train first")
    return steps


def load_model(run_dir, method=None, step=None, best=False, paths=None):
    """Restores what inference needs from a training run (see the module docstring).

    Args:
      run_dir: the run's workdir, or an inference bundle file.
      method: if given, the method the run must be (else RunError).
      step: a checkpoint step; default the newest intact one (or the best
        with ``best``). A bundle holds one step: ``step``/``best`` do not apply to it.
      best: take the best checkpoint by ``config.best_metric``.
      paths: dotted state paths to restore instead of the method's
        ``inference_state`` (a run directory only; a bundle holds just those).

    Every array read is checked against its checksum. Without ``step`` and
    ``best``, a newest checkpoint that is unreadable or corrupted is reported
    on stderr and the one before it is used; otherwise it is a RunError.
    """
    if pathlib.Path(run_dir).is_file():
        if step is not None or best:
            raise RunError(f"{run_dir} is an inference bundle of one step; --step/--best do not apply")
        if paths is not None:
            raise RunError(f"{run_dir} is an inference bundle: it holds the inference state only")
        return load_bundle(run_dir, method)
    config = load_run_config(run_dir, method)
    steps = [step] if step is not None else checkpoint_steps(run_dir, config, best)
    paths = paths or load_method(config.method).inference_state
    try:
        step, state = checkpointing.newest_intact(
            steps, lambda s: checkpointing.restore_subtrees(run_dir, s, paths))
    except checkpointing.CheckpointError as e:
        raise RunError(str(e)) from None
    return TrainedRun(config=config, method=config.method, step=int(step), state=state)


BUNDLE_FORMAT = "gazejax-inference-bundle"
BUNDLE_VERSION = 1
BUNDLE_DTYPES = ("float32", "float16")


def with_frozen_infos(config):
    """A copy of ``config`` where each ``<group>.<name>_checkpoint`` that is a converted checkpoint
    directory here gains ``<group>.<name>_info``, its info: the bundle is read where it is not."""
    config = ml_collections.ConfigDict(config.to_dict())
    for group in config.values():
        if not isinstance(group, ml_collections.ConfigDict):
            continue
        for key, value in list(group.items()):
            if key.endswith("_checkpoint") and isinstance(value, str) and value \
                    and (pathlib.Path(value) / INFO_FILE).is_file():
                group[key.removesuffix("_checkpoint") + "_info"] = read_info(value)
    return config


def save_bundle(path, run, dtype="float32"):
    """Writes ``run`` (a :class:`TrainedRun`) as one inference-bundle file.

    ``dtype="float16"`` stores floating arrays at half size; :func:`load_bundle`
    gives them back as float32 (what the networks compute in).
    """
    if dtype not in BUNDLE_DTYPES:
        raise ValueError(f"bundle dtype must be one of {', '.join(BUNDLE_DTYPES)}, got {dtype!r}")

    def stored(x):
        x = np.asarray(jax.device_get(x))
        return x.astype(dtype) if np.issubdtype(x.dtype, np.floating) else x

    payload = {
        "format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, "method": run.method, "step": int(run.step),
        "config": with_frozen_infos(run.config).to_json(), "dtype": dtype, "state": jax.tree.map(stored, run.state),
    }
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(flax.serialization.msgpack_serialize(payload))


def load_bundle(path, method=None):
    """The :class:`TrainedRun` in an inference-bundle file (RunError in one line if it is not one)."""
    try:
        payload = flax.serialization.msgpack_restore(pathlib.Path(path).read_bytes())
    except Exception as e:  # msgpack raises several unrelated types on garbage
        raise RunError(f"{path} is not an inference bundle ({type(e).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != BUNDLE_FORMAT:
        raise RunError(f"{path} is not an inference bundle")
    if payload.get("version") != BUNDLE_VERSION:
        raise RunError(f"{path} is a version {payload.get('version')} bundle; this gazejax reads {BUNDLE_VERSION}")
    config = ml_collections.ConfigDict(json.loads(payload["config"]))
    if method is not None and payload["method"] != method:
        raise RunError(f"{path} holds a {payload['method']!r} model, not a {method} one")

    def loaded(x):
        return x.astype(np.float32) if np.issubdtype(x.dtype, np.floating) else x

    state = jax.tree.map(loaded, payload["state"])
    return TrainedRun(config=config, method=payload["method"], step=int(payload["step"]), state=state)
