"""Inference from a trained LiveGaze run: load once, redirect batches (video frames).

    redirector = Redirector.from_workdir("runs/livegaze_tiny")
    out = redirector(frames, gaze)            # frames (N, R, R, 3) in [0, 1]
    out["image"], out["depth"]                 # numpy, (N, R, R, 3) / (N, r, r)

Gaze is the target (pitch, yaw) in radians in the head frame (the model's
prompt, livegaze.txt Sec. 4.1); cameras are EG3D labels, by default the
frontal camera (for which head-frame and camera-frame gaze coincide).
Inputs must already be normalized face crops at the model's resolution.
"""

import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.geometry import camera_label
from gazejax.models.livegaze.build import build_model, check_inputs
from gazejax.train import config_loading, livegaze
from gazejax.train.checkpointing import Checkpoints


def load_run_config(workdir):
    """The LiveGaze ConfigDict saved by the trainer as ``workdir/config.json``."""
    return config_loading.load_run_config(workdir, method="gazejax.train.livegaze")


def restore_variables(config, workdir, step=None):
    """Model variables (params and fixed buffers) of checkpoint ``step`` (default: the latest)."""
    r = config.model.output_resolution
    example = {
        "source": {"image": jnp.zeros((1, r, r, 3))},
        "target": {"gaze_head": jnp.zeros((1, 2)), "camera": jnp.zeros((1, 25))},
    }
    device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
    place = lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device)
    abstract = jax.tree.map(place, jax.eval_shape(lambda k: livegaze.init(config, k, example), jax.random.PRNGKey(0)))
    key = place(jax.eval_shape(lambda: jax.random.PRNGKey(0)))
    checkpoints = Checkpoints(workdir, keep=1)
    try:
        step = checkpoints.latest_step() if step is None else step
        if step is None:
            raise ValueError(f"no checkpoint in {pathlib.Path(workdir) / 'checkpoints'}; train first")
        state, _, _ = checkpoints.restore(abstract, key, step)
    finally:
        checkpoints.close()
    return livegaze.model_variables(state.params, state.extra)


class Redirector:
    """A jitted, deterministic LiveGaze forward pass with loaded params."""

    def __init__(self, config, variables):
        self.config = config
        self.model = build_model(config.model)
        self.variables = variables
        self._apply = jax.jit(lambda v, x, g, c: self.model.apply(v, x, g, c, None))

    @classmethod
    def from_workdir(cls, workdir, step=None):
        config = load_run_config(workdir)
        return cls(config, restore_variables(config, workdir, step))

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
