"""ETH-XGaze as GazeNeRF's preprocessing writes it, selected as the GazeNeRF paper trains and tests.

GazeNeRF's preprocessing (which fits the 3DMM codes GazeNeRF starts from, so
no converter here can replace it) writes one flat folder of
``xgaze_subjectXXXX.h5`` files (read by :mod:`gazejax.data.gazenerf_h5`) and
ships ``train_test_split.json`` whose ``train`` lists the 80 training
subjects and ``val`` the 15 person-specific subjects that serve as the
evaluation set (values like ``"subject0003.h5"``).

The paper trains on 14.4K images: 10 frames x 18 cameras of each of the 80
subjects. Training splits keep the first ``data.frames`` frames of each
subject (rows are frame-major; a frame is a run of equal ``frame_index``,
which GazeNeRF stores as uint8 and so wraps past 255); other splits keep
every image (the evaluation takes the first ``eval.inputs_per_subject``).

Config: ``data.builder = "gazejax.data.eth_xgaze_gazenerf:make_source"``,
``data.h5_dir`` (relative to ``data.dir``) and ``data.split_file`` (default
``<h5_dir>/train_test_split.json``).
"""

import json
import pathlib

import numpy as np

from gazejax.data.gaze_range import RowSubset
from gazejax.data.gazenerf_h5 import GazeNeRFH5Source


def first_frames_rows(frame_index, frames):
    """Row indices of the first ``frames`` runs of equal values in ``frame_index`` (N,)."""
    frame_index = np.asarray(frame_index).reshape(-1)
    starts = np.flatnonzero(np.diff(frame_index) != 0) + 1
    end = starts[frames - 1] if len(starts) >= frames else len(frame_index)
    return np.arange(end)


def subject_files(h5_dir, split_file, split):
    """GazeNeRF's h5 paths of ``split`` (``xgaze_`` + each listed name)."""
    split_file = pathlib.Path(split_file)
    if not split_file.is_file():
        raise ValueError(f"{split_file}: missing (GazeNeRF's ETH-XGaze train_test_split.json)")
    listed = json.loads(split_file.read_text())
    if split not in listed:
        raise ValueError(f"{split_file}: no split {split!r} (has {', '.join(listed)})")
    return [pathlib.Path(h5_dir) / f"xgaze_{name}" for name in listed[split]]


def make_source(data_config, split, data_dir):
    """The pipeline's ``module:function`` hook (see the module doc)."""
    import h5py  # noqa: PLC0415 -- only h5 readers need it

    h5_dir = pathlib.Path(data_dir) / data_config.h5_dir
    split_file = data_config.get("split_file") or h5_dir / "train_test_split.json"
    source = GazeNeRFH5Source(subject_files(h5_dir, split_file, split))
    if split != "train":
        return source
    rows, offset = [], 0
    for path in source.paths:
        with h5py.File(path, "r") as f:
            if "frame_index" not in f:
                raise ValueError(f"{path}: no frame_index, cannot keep the first {data_config.frames} frames")
            frame_index = f["frame_index"][:]
        rows.append(offset + first_frames_rows(frame_index, data_config.frames))
        offset += len(frame_index)
    return RowSubset(source, np.concatenate(rows))
