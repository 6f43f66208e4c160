"""A contact sheet for eyeballing SynthGaze: rows identities, columns sweeps.

Columns, left to right: a gaze-yaw sweep and a gaze-pitch sweep (head-frame
gaze, frontal camera), then a camera-yaw sweep and a camera-pitch sweep
(gaze straight ahead in the head frame).
"""

import numpy as np
from PIL import Image

from gazejax.data.synthgaze import anatomy as A
from gazejax.data.synthgaze.sample import controlled_records

SWEEP_STEPS = 5


def sweep_columns():
    """(gaze_head (C, 2), camera_angles (C, 2)) radians of the sheet's columns."""
    s = np.linspace(-1.0, 1.0, SWEEP_STEPS)
    zero = np.zeros(SWEEP_STEPS)
    gaze = np.concatenate(
        [
            np.stack([zero, s * A.GAZE_YAW_MAX], -1),
            np.stack([s * A.GAZE_PITCH_MAX, zero], -1),
            np.zeros((2 * SWEEP_STEPS, 2)),
        ]
    )
    camera = np.concatenate(
        [
            np.zeros((2 * SWEEP_STEPS, 2)),
            np.stack([s * A.CAMERA_YAW_MAX, zero], -1),
            np.stack([zero, s * A.CAMERA_PITCH_MAX], -1),
        ]
    )
    return gaze.astype(np.float32), camera.astype(np.float32)


def contact_sheet(seed, identities, resolution):
    """uint8 image (rows * R, columns * R, 3), one row per identity in ``identities``."""
    gaze, camera = sweep_columns()
    rows, columns = len(identities), len(gaze)
    ids = np.repeat(np.asarray(identities, np.int32), columns)
    gaze, camera = np.tile(gaze, (rows, 1)), np.tile(camera, (rows, 1))
    out = controlled_records(seed, ids, gaze, camera, resolution)
    tiles = out["image"].reshape(rows, columns, resolution, resolution, 3)
    return tiles.transpose(0, 2, 1, 3, 4).reshape(rows * resolution, columns * resolution, 3)


def save_contact_sheet(path, seed, identities, resolution):
    """Renders :func:`contact_sheet` and writes it as an image file (format from the suffix)."""
    Image.fromarray(contact_sheet(seed, identities, resolution)).save(path)
