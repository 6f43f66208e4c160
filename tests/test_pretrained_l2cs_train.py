"""L2CS training method: the :tiny loss falls; evaluation covers every held-out image."""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.data import pipeline as pipeline_lib
from gazejax.train import config_loading, l2cs


def _config():
    return config_loading.load_config(
        "configs/l2cs.py:tiny", ["data.builder=fake_synthgaze:make_source", "data.resolution=32"]
    )


def test_tiny_loss_falls_and_evaluation_has_a_baseline():
    config = _config()
    pipe = pipeline_lib.make_pipeline(
        config.data, "train", global_batch_size=config.batch_size, seed=0, process_index=0, process_count=1
    )
    batch = jax.tree.map(jnp.asarray, pipe.local_batch(0))
    # An 'rbg' key: XLA compiles its init about 2.5x faster than threefry's on CPU.
    state = jax.jit(lambda k: l2cs.init(config, k, batch))(jax.random.key(0, impl="rbg"))
    step = jax.jit(lambda s, b, k: l2cs.train_step(config, s, b, k))
    losses = []
    for i in range(15):
        state, metrics = step(state, batch, jax.random.key(i))
        losses.append(float(metrics["loss"]))
    assert np.mean(losses[-3:]) < 0.5 * losses[0]
    np.testing.assert_allclose(
        state.extra["gaze_sum"] / state.extra["gaze_count"], np.mean(np.asarray(batch["gaze"]), 0), atol=1e-6
    )

    result = l2cs.evaluate(config, state, workdir=None)
    test_records = config.data.identities * config.data.frames * config.data.views
    assert result["num_images"] == test_records
    assert np.isfinite(result["angular_error_deg"]) and result["mean_gaze_baseline_deg"] > 0
    evaluated = jax.jit(lambda s, b: l2cs.eval_step(config, s, b))(state, batch)
    assert set(evaluated) == {"angular_error_deg", "mean_gaze_baseline_deg"}
