"""Checkpoint retention (last N + best), sharded restore, and the checks on the way in and out."""

import json

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
import pytest

from gazejax.train import checkpointing, sharding
from gazejax.train.method import TrainState
from gazejax.train.metrics_log import NonFiniteLossError


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


def test_a_non_finite_state_or_metric_is_never_written(tmp_path):
    checkpoints = checkpointing.Checkpoints(tmp_path, keep=1, best_metric="mse", best_mode="min")
    key = jax.random.PRNGKey(0)
    checkpoints.save(_state(3, 1.0), key, 3, {"mse": 0.5})
    with pytest.raises(checkpointing.NonFiniteStateError, match=r"^step 6: state\.params\.w holds NaN$"):
        checkpoints.save(_state(6, float("nan")), key, 6, {"mse": 0.1})
    with pytest.raises(NonFiniteLossError, match=r"^step 6: loss term 'mse' is inf$"):
        checkpoints.save(_state(6, 2.0), key, 6, {"mse": float("inf")})
    checkpoints.close()
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["3"]


def test_restore_checks_checksums_and_finiteness_and_falls_back(tmp_path, capsys):
    checkpoints = checkpointing.Checkpoints(tmp_path, keep=3)
    key = jax.random.PRNGKey(0)
    for step in (3, 6):
        checkpoints.save(_state(step, float(step)), key, step)
    # what an older gazejax could write: no checksums, NaN params
    checkpoints.manager.save(9, args=ocp.args.Composite(
        train=ocp.args.StandardSave({"state": _state(9, float("nan")), "step_key": key}),
        data=ocp.args.JsonSave({"step": 9})))
    checkpoints.close()
    checksums = tmp_path / "checkpoints" / "6" / "checksums" / "metadata"
    recorded = json.loads(checksums.read_text())
    recorded["crc32"]["state.params.w"] ^= 1
    checksums.write_text(json.dumps(recorded))

    abstract = jax.tree.map(lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype), _state(0, 0.0))
    abstract_key = jax.ShapeDtypeStruct(key.shape, key.dtype)
    checkpoints = checkpointing.Checkpoints(tmp_path, keep=3, read_only=True)
    with pytest.raises(checkpointing.CheckpointError, match=r"checkpoint 9 in .* holds NaN in state\.params\.w$"):
        checkpoints.restore(abstract, abstract_key, 9)
    with pytest.raises(checkpointing.CheckpointError,
                       match=r"checkpoint 6 in .* is corrupted: state\.params\.w does not match its checksum$"):
        checkpoints.restore(abstract, abstract_key, 6)
    step, (state, _, data_step) = checkpoints.restore_newest(abstract, abstract_key)
    checkpoints.close()
    assert step == data_step == 3
    np.testing.assert_array_equal(state.params["w"], np.full((8, 2), 3.0))
    assert capsys.readouterr().err.splitlines() == [
        f"checkpoint 9 in {tmp_path / 'checkpoints'} holds NaN in state.params.w; using checkpoint 3",
        f"checkpoint 6 in {tmp_path / 'checkpoints'} is corrupted: state.params.w does not match its checksum; "
        "using checkpoint 3",
    ]
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["3", "6", "9"]  # read-only
