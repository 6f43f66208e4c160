"""Checkpoint retention (last N + best) and sharded restore."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gazejax.train import checkpointing, sharding
from gazejax.train.method import TrainState


def _state(step, value):
    return TrainState(step=jnp.int32(step), params={"w": jnp.full((8, 2), value)}, opt_state=())


def test_keeps_last_n_plus_best_and_restores_sharded(tmp_path):
    checkpoints = checkpointing.Checkpoints(tmp_path, keep=1, best_metric="mse", best_mode="min")
    key = jax.random.PRNGKey(5)
    for step, mse in [(3, 0.5), (6, 0.2), (9, 0.7), (12, 0.9)]:
        checkpoints.save(_state(step, float(step)), key, step, {"mse": mse})
    checkpoints.manager.wait_until_finished()
    assert checkpoints.all_steps() == [6, 12]  # the latest and the best (lowest mse)
    assert checkpoints.best_step() == 6

    mesh = sharding.make_mesh()
    data_sharding = sharding.data_sharding(mesh)
    abstract = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=data_sharding)
        if x.ndim else jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding.replicated(mesh)),
        _state(0, 0.0),
    )
    abstract_key = jax.ShapeDtypeStruct(key.shape, key.dtype, sharding=sharding.replicated(mesh))
    state, restored_key, data_step = checkpoints.restore(abstract, abstract_key, 6)
    checkpoints.close()
    assert data_step == 6 and int(state.step) == 6
    np.testing.assert_array_equal(state.params["w"], np.full((8, 2), 6.0))
    assert state.params["w"].sharding == data_sharding
    np.testing.assert_array_equal(restored_key, key)


def test_best_metric_must_be_reported(tmp_path):
    checkpoints = checkpointing.Checkpoints(tmp_path, keep=1, best_metric="psnr", best_mode="max")
    with pytest.raises(ValueError, match=r"best_metric 'psnr' is not among the metrics \['mse'\]"):
        checkpoints.save(_state(1, 0.0), jax.random.PRNGKey(0), 1, {"mse": 0.1})
    checkpoints.close()
