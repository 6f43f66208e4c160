"""The data mesh: batches sharded over all devices, model code free of sharding types."""

import jax
import numpy as np

from gazejax.train import sharding


def test_model_code_needs_no_sharding_annotations():
    # A pixel-shuffle style reshape on a batch-sharded array: with an Explicit
    # mesh axis this raises a ShardingTypeError inside the model.
    mesh = sharding.make_mesh()
    x = sharding.global_batch(mesh, np.ones((8, 4, 2, 4, 2, 3), np.float32))
    shuffle = jax.jit(lambda x: x.transpose(0, 1, 3, 2, 4, 5).reshape(8, 8, 8, 3))
    y = shuffle(x)
    assert y.shape == (8, 8, 8, 3)
    assert jax.eval_shape(shuffle, x).shape == (8, 8, 8, 3)


def test_global_batch_places_rows_in_device_order():
    mesh = sharding.make_mesh()
    batch = sharding.global_batch(mesh, {"ids": np.arange(16)})
    shards = sorted(batch["ids"].addressable_shards, key=lambda s: s.index[0].start)
    assert [s.data.tolist() for s in shards] == [[2 * i, 2 * i + 1] for i in range(8)]
    assert [s.device for s in shards] == list(mesh.devices.flat)
