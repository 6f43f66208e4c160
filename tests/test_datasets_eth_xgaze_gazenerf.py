"""GazeNeRF's ETH-XGaze protocol: its split file and the first-10-frames training subset."""

import json

import h5py
import numpy as np
import pytest
from ml_collections import ConfigDict

from configs import gazenerf
from gazejax.data import eth_xgaze_gazenerf
from test_gazenerf_h5 import write_subject


def test_first_frames_rows_follow_runs_even_when_uint8_wraps():
    # frames 254, 255, then 256 and 257 stored as uint8 wrap to 0 and 1; 3 cameras each
    frame_index = np.repeat(np.array([254, 255, 256, 257]).astype(np.uint8), 3)
    assert list(eth_xgaze_gazenerf.first_frames_rows(frame_index, 2)) == list(range(6))
    assert list(eth_xgaze_gazenerf.first_frames_rows(frame_index, 3)) == list(range(9))
    assert len(eth_xgaze_gazenerf.first_frames_rows(frame_index, 10)) == 12


def test_split_file_and_frame_subset(tmp_path):
    h5_dir = tmp_path / "gazenerf_xgaze"
    h5_dir.mkdir()
    for subject in ("subject0000", "subject0012"):
        write_subject(h5_dir / f"xgaze_{subject}.h5", seed=int(subject[-2:]))
        with h5py.File(h5_dir / f"xgaze_{subject}.h5", "a") as f:
            f["frame_index"][...] = np.array([[3], [3], [4]], np.uint8)  # frame 3 x 2 cameras, frame 4
    (h5_dir / "train_test_split.json").write_text(json.dumps(
        {"train": ["subject0000.h5"], "val": ["subject0012.h5"], "test": []}))
    config = ConfigDict(dict(h5_dir="gazenerf_xgaze", split_file="", frames=1))
    train = eth_xgaze_gazenerf.make_source(config, "train", tmp_path)
    assert len(train) == 2 and [int(train[i]["view"]) for i in range(2)] == [5, 6]
    val = eth_xgaze_gazenerf.make_source(config, "val", tmp_path)
    assert len(val) == 3  # evaluation subjects keep every image
    with pytest.raises(ValueError, match="no split 'person'"):
        eth_xgaze_gazenerf.make_source(config, "person", tmp_path)


def test_config_is_the_papers_protocol():
    c = gazenerf.get_config("eth_xgaze")
    assert (c.offsets.identities, c.offsets.frames, c.offsets.views) == (80, 10, 18)  # 14.4K images
    assert c.data.eval_split == "val" and c.eval.inputs_per_subject == 100
