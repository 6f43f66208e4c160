"""A trained EG3D run as a face sampler: ``FaceSampler.from_workdir(run)(seeds, yaw, pitch)``.

Restores only the EMA generator and its buffers (``load_model``); renders
faces of given seeds from cameras on EG3D's orbit, conditioned on the
frontal camera as EG3D's sampling scripts do.
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.geometry import camera_label
from gazejax.methods.eg3d import schedules
from gazejax.methods.eg3d.training import build_models
from gazejax.run_loading import load_model


@dataclasses.dataclass
class FaceSampler:
    """``(seeds, yaw, pitch) -> {'image', 'image_raw'} (N, H, W, 3) in [0, 1], 'image_depth' (N, r, r, 1)``."""

    config: object
    variables: dict
    truncation_psi: float = 0.7
    truncation_cutoff: int = 14

    @classmethod
    def from_workdir(cls, run_dir, **kwargs):
        run = load_model(run_dir)
        if run.method != "eg3d":
            raise ValueError(f"{run_dir} is a {run.method} run, not an EG3D run")
        return cls(run.config, {"params": run.state["ema_params"], **run.state["extra"]["buffers"]}, **kwargs)

    def __post_init__(self):
        generator, _ = build_models(self.config, schedules.neural_rendering_resolution(self.config,
                                                                                        self.config.num_steps))
        self._render = jax.jit(lambda v, z, cond, cam: generator.apply(
            v, z, cond, cam, truncation_psi=self.truncation_psi, truncation_cutoff=self.truncation_cutoff,
            noise_mode="const"))

    def __call__(self, seeds, yaw, pitch):
        """Faces of ``seeds`` seen from camera ``(yaw, pitch)`` radians (geometric orbit angles)."""
        z = np.stack([np.random.RandomState(s).randn(self.config.model.z_dim) for s in seeds]).astype(np.float32)
        n = len(seeds)
        cameras = jnp.broadcast_to(camera_label(yaw, pitch), (n, 25))
        frontal = jnp.broadcast_to(camera_label(0.0, 0.0), (n, 25))
        out = self._render(self.variables, jnp.asarray(z), frontal, cameras)
        unit = {k: jnp.clip((out[k] + 1) / 2, 0, 1) for k in ("image", "image_raw")}
        return {**unit, "image_depth": out["image_depth"]}
