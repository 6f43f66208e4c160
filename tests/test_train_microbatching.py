"""Gradient accumulation over slices of a step's batch: same gradient, less memory, checked counts."""

import functools
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import livegaze_tiny
from gazejax.methods.livegaze import training as livegaze
from gazejax.train import sharding
from gazejax.train.config_checks import check_config
from gazejax.train.config_loading import ConfigError
from gazejax.train.microbatching import microbatched_value_and_grad


def _least_squares(params, batch, key):
    residual = jnp.tanh(batch["x"] @ params["w"]) - batch["y"]
    loss = jnp.mean(residual**2)
    return loss, {"loss": loss, "first_row": batch["row"][0].astype(jnp.float32)}


@pytest.mark.parametrize("num_microbatches", [2, 4])
def test_a_mean_loss_has_the_whole_batch_gradient(num_microbatches):
    rng = np.random.default_rng(0)
    batch = {"x": rng.normal(size=(8, 3)), "y": rng.normal(size=(8,)), "row": np.arange(8)}
    params = {"w": rng.normal(size=(3,))}
    with jax.default_matmul_precision("highest"):
        (loss, metrics), grads = microbatched_value_and_grad(_least_squares, params, batch, jax.random.key(0), 1)
        (m_loss, m_metrics), m_grads = microbatched_value_and_grad(
            _least_squares, params, batch, jax.random.key(0), num_microbatches)
    np.testing.assert_allclose(m_loss, loss, rtol=1e-6)
    np.testing.assert_allclose(m_grads["w"], grads["w"], rtol=1e-5)
    np.testing.assert_allclose(m_metrics["loss"], metrics["loss"], rtol=1e-6)
    # slice m holds rows m, m + M, ...: the first rows of the slices are 0..M-1
    assert float(m_metrics["first_row"]) == np.mean(np.arange(num_microbatches))


def test_on_a_batch_sharded_over_devices_no_slice_moves_rows_between_devices():
    # 8 CPU devices (conftest): slice m takes rows m, m + M, ..., so each device computes its own
    # rows of every slice; contiguous slices would gather rows from other devices
    assert jax.device_count() == 8
    mesh = sharding.make_mesh()
    rng = np.random.default_rng(1)
    local = {"x": rng.normal(size=(32, 3)), "y": rng.normal(size=(32,)), "row": np.arange(32)}
    batch = sharding.global_batch(mesh, {k: v.astype(np.float32) for k, v in local.items()})
    params = jax.device_put({"w": np.ones(3, np.float32)}, sharding.replicated(mesh))
    step = jax.jit(lambda p, b: microbatched_value_and_grad(_least_squares, p, b, jax.random.key(0), 2))
    hlo = step.lower(params, batch).compile().as_text()
    assert not re.search(r"all-gather|all-to-all|collective-permute", hlo)
    (_, _), grads = step(params, batch)
    (_, _), unsharded = microbatched_value_and_grad(_least_squares, {"w": np.ones(3, np.float32)}, local,
                                                    jax.random.key(0), 2)
    np.testing.assert_allclose(grads["w"], unsharded["w"], rtol=1e-5)


def test_livegaze_step_with_microbatches_holds_less_memory():
    batch = livegaze_tiny.pair_batch(n=4)
    temp, losses = {}, {}
    for m in (1, 4):
        config = livegaze_tiny.config()
        with config.unlocked():
            config.num_microbatches = m
        state = jax.jit(functools.partial(livegaze.init, config))(jax.random.key(0), batch)
        step = jax.jit(functools.partial(livegaze.train_step, config))
        compiled = step.lower(state, batch, jax.random.key(1)).compile()
        temp[m] = compiled.memory_analysis().temp_size_in_bytes
        losses[m] = float(compiled(state, batch, jax.random.key(1))[1]["loss"])
    assert temp[4] < 0.6 * temp[1]
    # the same loss up to the ray jitter's keys and the per-slice mask normalisation
    np.testing.assert_allclose(losses[4], losses[1], rtol=0.1)


@pytest.mark.parametrize("value, message", [
    (3, r"num_microbatches \(3\) must divide batch_size \(4\)"),
    (0, r"num_microbatches must be an integer >= 1, got 0"),
])
def test_a_count_that_does_not_divide_the_batch_is_one_line(value, message):
    config = livegaze_tiny.config()
    with config.unlocked():
        config.batch_size, config.num_microbatches = 4, value
    with pytest.raises(ConfigError, match=message) as info:
        check_config(config)
    assert "\n" not in str(info.value)
