"""A tiny in-memory stand-in for the SynthGaze data source (same record keys).

Images are smooth functions of the gaze so a toy model can learn something; it
is not a renderer. Used as ``data.builder = "fake_synthgaze:make_source"``.
"""

import numpy as np

SHAPE_DIM, TEXTURE_DIM, ILLUMINATION_DIM, EXPRESSION_DIM = 4, 4, 3, 2


def records(identities, frames, views, resolution, first_identity=0):
    """All (identity, frame, view) records, in that nesting order."""
    rng = np.random.default_rng(first_identity)
    ramp = np.linspace(-1, 1, resolution, dtype=np.float32)
    out = []
    for identity in range(first_identity, first_identity + identities):
        codes = {
            "shape_code": rng.normal(size=SHAPE_DIM).astype(np.float32),
            "texture_code": rng.normal(size=TEXTURE_DIM).astype(np.float32),
            "expression_code": rng.normal(size=EXPRESSION_DIM).astype(np.float32),
        }
        for frame in range(frames):
            gaze_head = rng.uniform(-0.4, 0.4, size=2).astype(np.float32)
            for view in range(views):
                gaze = gaze_head + np.float32(0.1 * view)
                field = 0.5 + 0.25 * np.tanh(gaze[0] * ramp[:, None] + gaze[1] * ramp[None, :])
                image = np.stack([field, field * 0.8, 1 - field], -1)
                mask = np.zeros((resolution, resolution), np.uint8)
                mask[1:-1, 1:-1] = 1
                out.append(dict(
                    image=(image * 255).astype(np.uint8),
                    face_mask=mask,
                    left_eye_mask=mask,
                    right_eye_mask=mask,
                    depth=np.full((resolution, resolution), 2.2, np.float32),
                    gaze=gaze,
                    gaze_head=gaze_head,
                    head_pose=np.zeros(2, np.float32),
                    head_rotation=np.diag([1.0, -1.0, -1.0]).astype(np.float32),
                    camera=np.zeros(25, np.float32),
                    identity=np.int32(identity),
                    frame=np.int32(frame),
                    view=np.int32(view),
                    illumination_code=rng.normal(size=ILLUMINATION_DIM).astype(np.float32),
                    **codes,
                ))
    return out


def make_source(data_config, split, data_dir):
    """The ``module:function`` data hook: train and test have disjoint identities."""
    del data_dir
    first = 0 if split == "train" else data_config.identities
    return records(
        data_config.identities, data_config.frames, data_config.views,
        data_config.resolution, first_identity=first,
    )
