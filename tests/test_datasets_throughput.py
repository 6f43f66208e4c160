"""Input throughput measurement on a synthetic converted dataset."""

import numpy as np
import tensorflow_datasets as tfds
from ml_collections import ConfigDict

from gazejax.data import throughput


def test_synthetic_dataset_and_measure(tmp_path):
    builder = throughput.synthetic_dataset(tmp_path, resolution=32, identities=2, frames=2, views=2)
    assert builder == "tfds:synthetic_input/r32_i2_f2_v2"
    source = tfds.data_source(builder.removeprefix("tfds:"), split="train", data_dir=str(tmp_path))
    assert len(source) == 8 and source[0]["image"].shape == (32, 32, 3)
    assert set(np.unique(source[0]["face_mask"])) <= {0, 1}
    data = ConfigDict(dict(builder=builder, dir=str(tmp_path), pairs=True, same_camera=None, num_threads=0))
    result = throughput.measure(data, "train", batch_size=2, num_batches=3, warmup=1)
    assert result["runs"] == 3 and result["records_per_s"] > 0
    assert result["min_ms"] <= result["median_ms"] <= result["max_ms"]
    judged = throughput.keeps_up(dict(records_per_s=10.0), batch_size=4, step_ms=500.0)  # step eats 8/s
    assert judged["step_records_per_s"] == 8.0 and judged["keeps_up"] and judged["headroom"] == 1.25
