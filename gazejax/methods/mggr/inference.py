"""Redirecting eye patches with a trained MGGR run.

    redirector = EyeRedirector.from_workdir("runs/mggr")
    out = redirector(patches, head_pose, source_gaze, target_gaze)   # numpy (N, P, P, 3)

Patches are (N, P, P, 3) in [0, 1] at the run's ``model.patch_size``, right
eyes mirrored as in training; angles are (N, 2) radians (mirrored yaw for
right eyes). The run is loaded with :func:`gazejax.run_loading.load_model`:
the coarse and refiner networks only (no discriminator, optimizer or
perceptual network).
"""

import jax
import numpy as np

from gazejax.methods.mggr import training
from gazejax.run_loading import load_model


class EyeRedirector:
    """A jitted MGGR coarse + refine pass with loaded parameters."""

    def __init__(self, config, params):
        self.config = config
        self.params = params
        self._apply = jax.jit(lambda p, *args: training.redirect(config, p, *args))

    @classmethod
    def from_workdir(cls, workdir, step=None):
        run = load_model(workdir, method="mggr", step=step)
        return cls(run.config, run.state["params"])

    @property
    def patch_size(self):
        return self.config.model.patch_size

    def __call__(self, patches, head_pose, source_gaze, target_gaze):
        """The refined patches, numpy ``(N, P, P, 3)`` clipped to [0, 1] (``coarse`` is not returned)."""
        patches = np.asarray(patches, np.float32)
        p = self.patch_size
        if patches.ndim != 4 or patches.shape[1:] != (p, p, 3):
            raise ValueError(f"eye patches must be (N, {p}, {p}, 3), got {patches.shape}")
        angles = [np.asarray(a, np.float32) for a in (head_pose, source_gaze, target_gaze)]
        if any(a.shape != (len(patches), 2) for a in angles):
            raise ValueError(f"head pose and gazes must each be ({len(patches)}, 2) radians")
        out = jax.device_get(self._apply(self.params, patches, *angles))
        return np.clip(out["refined"], 0.0, 1.0)
