"""The plug-in surface between a training method and the generic trainer.

Every built-in method lives in ``gazejax/methods/<name>/`` with the same parts
(model modules, ``losses.py``, ``training.py``, ``evaluation.py``,
``inference.py``), assembled into ``METHOD = Method(...)`` by its
``method.py``. ``config.method`` names it: a built-in's short name
(``"livegaze"``), or the dotted path of any module exposing ``METHOD`` (a
method of your own). The trainer owns everything else: the mesh and
shardings, jit with donation, the data pipeline, checkpoints, logging,
progress, NaN guard and resume.
"""

import dataclasses
import importlib
from typing import Any, Callable, Optional

BUILT_IN = ("livegaze", "gazenerf", "mggr", "l2cs", "eg3d")

# run directories written before the methods moved name their method by its old module
_FORMER_MODULES = {f"gazejax.train.{name}": name for name in BUILT_IN}

import flax.struct
import jax

Batch = Any  # nested dict of global jax.Arrays, sharded on the 'data' mesh axis
Metrics = dict  # name -> scalar jax.Array


@flax.struct.dataclass
class TrainState:
    """Everything that changes during training (all leaves are arrays).

    ``params`` and ``opt_state`` may be dicts of groups (e.g. ``{'generator':
    ..., 'discriminator': ...}`` for GANs, with one optax state per group).
    ``extra`` holds method-specific arrays such as per-image latent offsets.
    """

    step: jax.Array
    params: Any
    opt_state: Any
    batch_stats: Any = None
    ema_params: Any = None
    extra: Any = None


@dataclasses.dataclass(frozen=True)
class Method:
    """A training method: pure functions of ``(config, state, batch, key)``.

    init(config, key, batch) -> TrainState
        Builds the initial state; ``batch`` is an example global batch.
    train_step(config, state, batch, key) -> (TrainState, Metrics)
        One optimisation step (GANs run their G and D updates inside it).
        It must leave ``state.step`` alone: the trainer increments it.
        Metrics are scalars; the key ``'loss'`` is the one shown first.
    eval_step(config, state, batch) -> Metrics            (optional)
    sample_images(config, state, batch) -> {name: (N,H,W,3) in [0,1]} (optional)
        Periodic PNG grids written by the trainer.
    evaluate(config, state, workdir) -> dict              (optional)
        The full evaluation protocol run by ``gazejax evaluate``.
    inference_state: tuple of dotted TrainState paths  (default: params)
        What inference restores from a checkpoint (``load_model``):
        e.g. ``("params", "extra.buffers")``; optimizer state, frozen
        loss networks and data are never read.
    phase(config, step: int) -> hashable                  (optional)
        For methods whose step changes with training progress (MGGR's two
        stages): the trainer compiles one step per phase and calls
        ``train_step(config, state, batch, key, phase=phase)``. Branching on
        the traced ``state.step`` with ``lax.cond`` instead runs about 20x
        slower than the branch alone on XLA:CPU (measured on MGGR).
    """

    init: Callable[..., TrainState]
    train_step: Callable[..., tuple]
    eval_step: Optional[Callable[..., Metrics]] = None
    sample_images: Optional[Callable[..., dict]] = None
    evaluate: Optional[Callable[..., dict]] = None
    phase: Optional[Callable[..., Any]] = None
    inference_state: tuple = ("params",)


def method_name(name):
    """The canonical ``config.method`` of ``name``: a built-in's short name, else ``name`` itself."""
    return _FORMER_MODULES.get(name, name)


def method_module(name):
    """The module path that defines ``METHOD`` for ``config.method`` ``name``."""
    name = method_name(name)
    return f"gazejax.methods.{name}.method" if name in BUILT_IN else name


def load_method(name):
    """The ``METHOD`` of ``config.method`` ``name`` (ValueError in one line if there is none)."""
    try:
        module = importlib.import_module(method_module(name))
    except ModuleNotFoundError as e:
        raise ValueError(f"config.method {name!r} cannot be imported: {e}") from None
    if not hasattr(module, "METHOD"):
        raise ValueError(f"config.method {name!r} has no METHOD")
    return module.METHOD
