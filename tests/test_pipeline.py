"""The grain pipeline: sharded global batches, the pairing rule, determinism, process split."""

import jax
import numpy as np
import pytest

import fake_synthgaze
from gazejax.data import pairing
from gazejax.data.pipeline import Pipeline, to_float
from gazejax.train import sharding

SOURCE = fake_synthgaze.records(identities=3, frames=3, views=3, resolution=4)


def _ids(records):
    return {k: np.asarray(records[k]) for k in ("identity", "frame", "view")}


@pytest.mark.parametrize("same_camera", [True, False, None])
def test_global_batch_is_sharded_and_pairs_follow_the_rule(same_camera):
    mesh = sharding.make_mesh()
    pipe = Pipeline(SOURCE, global_batch_size=16, seed=3, pairs=True, same_camera=same_camera)
    views_differ = []
    for step in range(3):
        batch = sharding.global_batch(mesh, pipe.local_batch(step))
        image = batch["source"]["image"]
        assert image.shape == (16, 4, 4, 3) and image.dtype == np.float32
        assert image.sharding.spec == jax.sharding.PartitionSpec("data")
        assert {s.data.shape[0] for s in image.addressable_shards} == {2}
        assert len({s.device for s in image.addressable_shards}) == 8
        src, tgt = _ids(batch["source"]), _ids(batch["target"])
        np.testing.assert_array_equal(src["identity"], tgt["identity"])
        assert np.all(src["frame"] != tgt["frame"])
        if same_camera is not None:
            assert np.all((src["view"] == tgt["view"]) == same_camera)
        views_differ.append(src["view"] != tgt["view"])
    if same_camera is None:  # "either" really draws both kinds
        assert 0 < np.mean(views_differ) < 1


def test_records_are_converted_to_library_conventions():
    record = to_float(SOURCE[5])
    assert record["image"].dtype == np.float32
    np.testing.assert_allclose(record["image"], SOURCE[5]["image"] / 255.0)
    assert set(np.unique(record["face_mask"])) == {0.0, 1.0}
    assert record["identity"].dtype == np.int32 and record["gaze"].dtype == np.float32


def test_batches_are_a_pure_function_of_seed_and_step():
    a = Pipeline(SOURCE, global_batch_size=8, seed=1, pairs=True)
    b = Pipeline(SOURCE, global_batch_size=8, seed=1, pairs=True, num_threads=2)
    other_seed = Pipeline(SOURCE, global_batch_size=8, seed=2, pairs=True)
    resumed = b.iterate(start_step=5)
    for step in (5, 6, 7):
        expected = a.local_batch(step)
        got = next(resumed)
        jax.tree.map(np.testing.assert_array_equal, expected, got)
    assert not np.array_equal(
        a.local_batch(5)["source"]["image"], other_seed.local_batch(5)["source"]["image"]
    )


def test_single_records_cover_each_epoch_once():
    pipe = Pipeline(SOURCE, global_batch_size=9, seed=0)
    seen = np.concatenate([pipe.local_batch(s)["identity"] * 100 + pipe.local_batch(s)["frame"]
                           * 10 + pipe.local_batch(s)["view"] for s in range(3)])
    assert len(set(seen.tolist())) == len(SOURCE) == 27


def test_processes_read_disjoint_slices_of_the_same_global_batch():
    whole = Pipeline(SOURCE, global_batch_size=8, seed=4, pairs=True).local_batch(2)
    parts = [
        Pipeline(SOURCE, global_batch_size=8, seed=4, pairs=True, process_index=p,
                 process_count=2).local_batch(2)
        for p in range(2)
    ]
    joined = jax.tree.map(lambda *xs: np.concatenate(xs), *parts)
    jax.tree.map(np.testing.assert_array_equal, whole, joined)


def test_index_is_cached_and_reused(tmp_path):
    path = tmp_path / "index.npz"
    index = pairing.build_index(SOURCE, path)
    assert path.is_file()
    np.testing.assert_array_equal(index.frame, [r["frame"] for r in SOURCE])

    class Unreadable(list):
        def __getitem__(self, i):
            raise AssertionError("records must not be read again")

        def __iter__(self):
            raise AssertionError("records must not be read again")

    cached = pairing.build_index(Unreadable(SOURCE), path)
    np.testing.assert_array_equal(cached.view, index.view)


def test_unpairable_identity_is_a_clear_error():
    one_frame = fake_synthgaze.records(identities=2, frames=1, views=2, resolution=4)
    with pytest.raises(ValueError, match="identity 0 .* no redirection target"):
        Pipeline(one_frame, global_batch_size=8, seed=0, pairs=True)


def test_batch_size_must_divide_over_devices():
    message = "batch_size 12 must be a positive multiple of the device count 8"
    with pytest.raises(ValueError, match=message):
        sharding.local_batch_size(12)
