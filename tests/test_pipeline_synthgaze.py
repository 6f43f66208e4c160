"""The pipeline on a real (tiny, 32x32) SynthGaze build: auto-build, index cache, pairs."""

import ml_collections
import numpy as np

from gazejax.data.pipeline import make_pipeline
from gazejax.train import sharding


def test_synthgaze_pairs_on_eight_devices(tmp_path):
    data = ml_collections.ConfigDict(dict(
        builder="synthgaze", dir=str(tmp_path), split="train", eval_split="test", pairs=True,
        same_camera=False, num_threads=0, resolution=32, identities=3, frames=2, views=2,
        seed=0, test_identities=1,
    ))
    pipe = make_pipeline(data, "train", global_batch_size=8, seed=0, process_index=0,
                         process_count=1)
    assert list((tmp_path / "gazejax_index").glob("synthgaze_*_train.npz"))
    batch = sharding.global_batch(sharding.make_mesh(), pipe.local_batch(0))
    source, target = batch["source"], batch["target"]
    assert source["image"].shape == (8, 32, 32, 3) and source["image"].dtype == np.float32
    assert len(source["image"].sharding.device_set) == 8
    image = np.asarray(source["image"])
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.max() > 0.5
    assert set(np.unique(np.asarray(target["face_mask"]))) == {0.0, 1.0}
    assert source["left_eye_patch"].shape == (8, 64, 64, 3)
    ids = {k: (np.asarray(source[k]), np.asarray(target[k])) for k in ("identity", "frame", "view")}
    assert np.all(ids["identity"][0] == ids["identity"][1])
    assert np.all(ids["identity"][0] < 2)  # train split: identities 0 and 1 only
    assert np.all(ids["frame"][0] != ids["frame"][1])
    assert np.all(ids["view"][0] != ids["view"][1])
    # The target really is the other record: same person, different gaze.
    assert not np.allclose(np.asarray(source["gaze_head"]), np.asarray(target["gaze_head"]))

    # The same files read as a generic TFDS dataset give the same batch.
    name = next((tmp_path / "synthgaze").iterdir()).name
    data.builder = f"tfds:synthgaze/{name}"
    generic = make_pipeline(data, "train", global_batch_size=8, seed=0, process_index=0,
                            process_count=1)
    np.testing.assert_array_equal(generic.local_batch(0)["target"]["image"],
                                  np.asarray(target["image"]))
