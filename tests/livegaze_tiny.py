"""A LiveGaze config and pair batch small enough for unit tests."""

import pathlib

import numpy as np

import fake_synthgaze
from gazejax.geometry import camera_label
from gazejax.train.config_loading import load_config

RESOLUTION = 32
CONFIG_FILE = pathlib.Path(__file__).resolve().parent.parent / "configs" / "livegaze.py"


def config():
    """``configs/livegaze.py:tiny`` shrunk to 32^2 images and 16^2 neural renders."""
    return load_config(f"{CONFIG_FILE}:tiny", [
        f"model.output_resolution={RESOLUTION}", "model.neural_resolution=16",
        "model.n_coarse=6", "model.n_fine=6",
    ])


def pair_batch(n=2, resolution=RESOLUTION):
    """``{'source', 'target'}`` of fake records (same identity, other frame), frontal-ish cameras."""
    records = fake_synthgaze.records(1, 2, n, resolution)
    cams = np.asarray(camera_label(np.linspace(-0.2, 0.2, n), np.zeros(n)))
    source, target = records[:n], records[n:2 * n]

    def stack(rows):
        out = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
        out["camera"] = cams.astype(np.float32)
        for k, v in out.items():
            if v.dtype == np.uint8:
                out[k] = v.astype(np.float32) / (1.0 if k.endswith("mask") else 255.0)
        return out

    target_batch = stack(target)
    # eye openings inside the face, so the two masked terms differ
    for side in ("left", "right"):
        target_batch[f"{side}_eye_mask"] = np.zeros_like(target_batch["face_mask"])
    k = resolution // RESOLUTION
    target_batch["left_eye_mask"][:, 8 * k:12 * k, 18 * k:24 * k] = 1.0
    target_batch["right_eye_mask"][:, 8 * k:12 * k, 8 * k:14 * k] = 1.0
    return {"source": stack(source), "target": target_batch}


def make_source(data_config, split, data_dir):
    """``data.builder`` hook: fake SynthGaze records with valid (orbiting) cameras."""
    records = fake_synthgaze.make_source(data_config, split, data_dir)
    yaws = np.linspace(-0.3, 0.3, data_config.views)
    for record in records:
        record["camera"] = np.asarray(camera_label(yaws[record["view"]], 0.0), np.float32)
    return records
