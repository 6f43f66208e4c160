"""bfloat16 compute (``compute_dtype``) for every method: it really computes in bfloat16, starts
within the documented tolerance of float32 from the same parameters, keeps float32 parameters and
gradients, and its loss falls when it trains."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import fake_synthgaze  # noqa: F401 -- data.builder hooks below live in tests/
import livegaze_tiny
from gazejax.data import pipeline as pipeline_lib
from gazejax.train import config_loading
from gazejax.train.method import load_method

# Relative differences from float32 at the same (random) parameters (docs/performance.md): the
# evaluation metrics (the outputs), and the training loss, which batch statistics and random
# heads make more sensitive.
EVAL_TOLERANCE = 0.05
LOSS_TOLERANCE = 0.1


def _l2cs(*overrides):
    return config_loading.load_config(
        "configs/l2cs.py:tiny",
        ["data.builder=fake_synthgaze:make_source", "data.resolution=32", *overrides])


def _mggr(*overrides):
    return config_loading.load_config(
        "configs/mggr.py:tiny", ["data.builder=test_mggr_train:fake_patch_source", *overrides])


def _gazenerf(*overrides):
    dims = ["model.iden_dim=4", "model.expr_dim=2", "model.text_dim=4", "model.illu_dim=3"]
    return config_loading.load_config(
        "configs/gazenerf.py:tiny", ["data.builder=test_gazenerf_train:make_source", *dims, *overrides])


def _livegaze(*overrides):
    config = livegaze_tiny.config()
    with config.unlocked():
        config.data.update(dict(builder="livegaze_tiny:make_source", identities=1, frames=2, views=2,
                                resolution=livegaze_tiny.RESOLUTION, num_threads=0))
        config.batch_size = 2
        for item in overrides:
            name, value = item.split("=")
            config[name] = value
    return config


CONFIGS = {"l2cs": _l2cs, "mggr": _mggr, "gazenerf": _gazenerf, "livegaze": _livegaze}


# MGGR's coarse stage trains at 1e-4 (the paper's rate): too slow to see in 12 steps.
FAST = {"mggr": ["optim.coarse_lr=3e-3"]}


def _setup(name, *overrides):
    configs = {d: CONFIGS[name](f"compute_dtype={d}", *overrides) for d in ("float32", "bfloat16")}
    config = configs["float32"]
    method = load_method(config.method)
    pipe = pipeline_lib.make_pipeline(config.data, config.data.split, global_batch_size=config.batch_size,
                                      seed=0, process_index=0, process_count=1)
    batch = jax.tree.map(jnp.asarray, pipe.local_batch(0))
    state = method.init(config, jax.random.key(0), batch)
    return configs, method, batch, state


def _step(method, config, phase_step=None):
    kwargs = {}
    if method.phase is not None:  # MGGR: its fine stage, where all three networks run
        kwargs["phase"] = method.phase(config, config.num_steps - 1 if phase_step is None else phase_step)
    return jax.jit(lambda state, batch, key: method.train_step(config, state, batch, key, **kwargs))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bfloat16_computes_in_bfloat16_and_starts_where_float32_does(name):
    configs, method, batch, state = _setup(name)
    key = jax.random.key(1)
    jaxprs = {d: str(jax.make_jaxpr(_step(method, c))(state, batch, key)) for d, c in configs.items()}
    assert "bf16" in jaxprs["bfloat16"] and "bf16" not in jaxprs["float32"]
    (new32, m32), (new16, m16) = (_step(method, c)(state, batch, key) for c in configs.values())
    assert float(m16["loss"]) == pytest.approx(float(m32["loss"]), rel=LOSS_TOLERANCE)
    # parameters (so optimizer state and gradients) stay float32
    assert {x.dtype for x in jax.tree.leaves(new16.params)} == {jnp.dtype(jnp.float32)}
    if method.eval_step is not None:
        e32 = method.eval_step(configs["float32"], state, batch)
        e16 = method.eval_step(configs["bfloat16"], state, batch)
        for metric, value in e32.items():
            assert float(e16[metric]) == pytest.approx(float(value), rel=EVAL_TOLERANCE, abs=1e-6), metric


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_bfloat16_training_lowers_the_loss(name):
    configs, method, batch, state = _setup(name, *FAST.get(name, []))
    step = _step(method, configs["bfloat16"], phase_step=0)
    losses = []
    for i in range(12):
        state, metrics = step(state, batch, jax.random.key(i))
        state = state.replace(step=state.step + 1)
        losses.append(float(metrics["loss"]))
    assert np.isfinite(losses).all()
    assert np.mean(losses[-3:]) < 0.9 * np.mean(losses[:3]), losses
