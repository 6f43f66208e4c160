"""The plug-in surface between a training method and the generic trainer.

A method module (named by ``config.method``, e.g. ``"gazejax.train.livegaze"``)
exposes ``METHOD = Method(...)``. The trainer owns everything else: the mesh
and shardings, jit with donation, the data pipeline, checkpoints, logging,
progress, NaN guard and resume.
"""

import dataclasses
from typing import Any, Callable, Optional

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
