"""True SynthGaze faces from the GFAS views: the scores a generator of SynthGaze faces should reach.

With SynthGaze data, ``gazejax evaluate`` reads the same three views of
rendered faces (not generated ones) with the same estimator, under two eye rules:

- ``fixed``: the eyes stay fixed in the head, at the build's own head-frame
  gaze draw (``data.gaze_spread``): what a generator free of the
  camera-facing bias shows.
- ``at_camera``: the eyes look into every camera: a generator that learned
  the bias completely.

A generator's GFAS and camera following read against these two (docs/eg3d.md).
"""

import jax
import numpy as np

from gazejax.data.synthgaze import controlled_records, params

EYE_RULES = ("fixed", "at_camera")


def reference_faces(config, faces, angles):
    """``{rule: records}`` of identities ``0 .. faces - 1`` of the build, each from every view.

    ``angles`` (V, 2): the views' camera orbit (yaw, pitch); SynthGaze cameras
    look at the origin.

    Each value holds ``image`` (faces, V, R, R, 3) in [0, 1], the true camera-frame
    ``gaze`` (faces, V, 2) and the views' ``camera`` labels (V, 25).
    """
    d = config.data
    angles = np.asarray(angles, np.float32)
    n_views = len(angles)
    key = jax.random.key(d.seed)
    identities = np.repeat(np.arange(faces), n_views)
    cameras = np.tile(angles, (faces, 1))
    spread = d.get("gaze_spread", 1.0)  # runs saved before it existed drew the whole range
    own = [spread * np.asarray(params.frame_draws(key, i, 0)[0]) for i in range(faces)]
    shapes = [params.identity_codes(key, i)["shape_code"] for i in range(faces)]
    gaze = {
        "fixed": np.repeat(np.stack(own), n_views, axis=0),
        "at_camera": np.stack([np.asarray(params.camera_facing_gaze(shapes[i], c))
                               for i, c in zip(identities, cameras)]),
    }
    out = {}
    for rule in EYE_RULES:
        records = controlled_records(d.seed, identities, gaze[rule], cameras, d.resolution)
        out[rule] = dict(
            image=records["image"].astype(np.float32).reshape(faces, n_views, *records["image"].shape[1:]) / 255,
            gaze=records["gaze"].reshape(faces, n_views, 2),
            camera=records["camera"][:n_views],
        )
    return out
