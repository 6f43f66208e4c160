"""Redirecting with a trained GazeNeRF run: fit the subject of one record, render it at new gazes.

A GazeNeRF input is more than a picture: it needs the face's latent codes,
masks and camera, so the input is a dataset record (SynthGaze, or a
GazeNeRF h5 file). The run is loaded with
:func:`gazejax.run_loading.load_model`: the network's parameters and the
frozen loss networks' variables that fitting uses (the functional and
perceptual terms), no optimizer state or data. A face of a photo becomes
such a record with :func:`photo_record`.
"""

import jax
import numpy as np

from gazejax.methods.gazenerf import fitting
from gazejax.run_loading import load_model


def redirect_records(run, records, gazes, fit_steps=None, seed=0):
    """Fits each record of ``records`` (a batch of B faces) and renders it at its head-frame gazes.

    Args:
      run: a loaded GazeNeRF run (:func:`gazejax.run_loading.load_model`).
      records: fitting records ``(B, ...)``; all B faces are fitted at once.
      gazes: ``(B, G, 2)`` head-frame (pitch, yaw) radians, G per face.

    Returns ``(images (B, G, R, R, 3) merged outputs, fit losses (B, steps))``.
    Raises ValueError (one line) when the records do not fit the run's config.
    """
    images, losses = fitting.fit_and_redirect(
        run.config, run.state["params"]["net"], run.state.get("extra", {}), records,
        np.asarray(gazes, np.float32), jax.random.PRNGKey(seed), num_steps=fit_steps)
    return np.asarray(images["merged"]), np.asarray(losses)


def redirect_record(run_dir, record, gazes, fit_steps=None, seed=0):
    """Fits ``record`` (a batch of one) of the run in ``run_dir`` and renders it at each gaze ``(G, 2)``.

    Returns ``(images (G, R, R, 3) merged outputs, fit losses (steps,))``.
    """
    images, losses = redirect_records(load_model(run_dir, method="gazenerf"), record,
                                      np.asarray(gazes, np.float32)[None], fit_steps, seed)
    return images[0], losses[0]


def photo_record(config, crop, source_gaze):
    """A fitting record (batch of one) from a face of a photo, :class:`gazejax.face.NormalizedFace`.

    The image and masks are the crop's; the latent codes start at the dataset
    mean, 0 (SynthGaze draws its codes uniformly in [-1, 1]; a GazeNeRF h5 run
    starts there too, its own mean is not kept with the run); the camera is the
    normalized camera's view of the head on EG3D's orbit; ``source_gaze`` is the
    face's own head-frame gaze ``(2,)``, which the fit conditions on.
    """
    from gazejax import face  # noqa: PLC0415
    from gazejax.geometry import camera_label  # noqa: PLC0415

    yaw, pitch = face.eg3d_view(crop.head_rotation)
    m = config.model
    record = {
        "image": crop.image, "face_mask": crop.face_mask, "left_eye_mask": crop.left_eye_mask,
        "right_eye_mask": crop.right_eye_mask, "gaze_head": np.asarray(source_gaze, np.float32),
        "camera": np.asarray(camera_label(np.float32(yaw), np.float32(pitch)), np.float32),
        "shape_code": np.zeros(m.iden_dim, np.float32), "expression_code": np.zeros(m.expr_dim, np.float32),
        "texture_code": np.zeros(m.text_dim, np.float32), "illumination_code": np.zeros(m.illu_dim, np.float32),
    }
    return {k: np.asarray(v, np.float32)[None] for k, v in record.items()}
