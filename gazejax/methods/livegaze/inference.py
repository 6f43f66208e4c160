"""Inference from a trained LiveGaze run: load once, redirect batches (video frames).

    redirector = Redirector.from_workdir("runs/livegaze")
    out = redirector(frames, gaze)            # frames (N, R, R, 3) in [0, 1]
    out["image"], out["depth"]                 # numpy, (N, R, R, 3) / (N, r, r)

Gaze is the target (pitch, yaw) in radians in the head frame (the model's
prompt, LiveGaze paper Sec. 4.1); cameras are EG3D labels, by default the
frontal camera (for which head-frame and camera-frame gaze coincide).
Inputs must already be normalized face crops at the model's resolution.
"""

import jax
import numpy as np

from gazejax.geometry import camera_label
from gazejax.methods.livegaze.build import build_model, check_inputs
from gazejax.methods.livegaze.training import model_variables
from gazejax.run_loading import load_model


class Redirector:
    """A jitted, deterministic LiveGaze forward pass with loaded params."""

    def __init__(self, config, variables):
        self.config = config
        self.model = build_model(config.model)
        self.variables = variables
        self._apply = jax.jit(lambda v, x, g, c: self.model.apply(v, x, g, c, None))

    @classmethod
    def from_workdir(cls, workdir, step=None):
        """Loads a LiveGaze run with :func:`gazejax.run_loading.load_model`."""
        run = load_model(workdir, method="livegaze", step=step)
        return cls(run.config, model_variables(run.state["params"], run.state.get("extra")))

    @property
    def resolution(self):
        """Side of the face crops the model takes and returns."""
        return self.model.output_resolution

    def __call__(self, images, gaze, camera=None):
        """``images (N, R, R, 3)`` in [0, 1], ``gaze (N, 2)``, ``camera (N, 25)`` or None (frontal).

        Returns numpy ``image`` (clipped to [0, 1]), ``image_raw``, ``depth``, ``opacity``.
        Raises ValueError (one line) for wrongly shaped inputs.
        """
        images = np.asarray(images, np.float32)
        gaze = np.asarray(gaze, np.float32)
        if camera is None:
            camera = np.asarray(camera_label(np.zeros(len(images)), np.zeros(len(images))))
        camera = np.asarray(camera, np.float32)
        check_inputs(self.model, images, gaze, camera)
        out = jax.device_get(self._apply(self.variables, images, gaze, camera))
        out["image"] = np.clip(out["image"], 0.0, 1.0)
        return out
