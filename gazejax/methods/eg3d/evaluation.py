"""``gazejax evaluate`` for EG3D: the gaze-face alignment score (GFAS) of Gaze-Corrected-EG3D.

Protocol of its ``calc_gfas.py``: seeds ``0 .. eval.gfas_seeds - 1`` (latent
``RandomState(seed).randn(z_dim)``), each rendered by the EMA generator
conditioned on the frontal camera, truncation ``psi`` with ``cutoff``, from
three cameras on EG3D's orbit (sampler ``h = pi/2 + offset``, ``v = pi/2 +
view_pitch_offset``, radius 2.7, looking at the pivot, focal from
``fov_deg``). Per view, the MSE (rad^2, over pitch and yaw) between the gaze
estimated on the image and the face angles of that camera;
``GFAS = sum over views of the mean over seeds`` (lower is better). Face
angles and estimator preprocessing follow ``config.loss``.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.convert import load_frozen
from gazejax.geometry import camera_label, from_eg3d_sampler_angles
from gazejax.methods.eg3d import losses, schedules
from gazejax.methods.eg3d.training import build_models
from gazejax.pretrained.gaze_estimator import estimate_angles


def focal_from_fov(fov_deg):
    """EG3D ``FOV_to_intrinsics``: normalised focal ``1 / (tan(fov / 2) * 1.414)``."""
    return 1.0 / (math.tan(fov_deg * math.pi / 360) * 1.414)


def view_labels(config):
    """``(conditioning (25,), views (V, 25))`` EG3D labels of the GFAS cameras."""
    e = config.eval
    focal = focal_from_fov(e.fov_deg)
    angles = [from_eg3d_sampler_angles(math.pi / 2 + h, math.pi / 2 + e.view_pitch_offset)
              for h in e.view_yaw_offsets]
    views = jnp.stack([camera_label(a[0], a[1], look_at=tuple(e.pivot), focal=focal) for a in angles])
    return camera_label(0.0, 0.0, look_at=tuple(e.pivot), focal=focal), views


def evaluate(config, state, workdir):
    """``{'gfas', 'per_view_mse', 'seeds'}``; needs a gaze estimator (eval or loss checkpoint)."""
    del workdir  # the trainer writes eval.json
    e = config.eval
    directory = e.estimator_checkpoint or config.loss.gaze_estimator_checkpoint
    if not directory:
        raise ValueError("GFAS needs a gaze estimator: set eval.estimator_checkpoint")
    module, variables, info = load_frozen(directory)
    generator, _ = build_models(config, schedules.neural_rendering_resolution(config, config.num_steps))
    conditioning, views = view_labels(config)
    targets = losses.face_angles(views, config.loss.face_angle_formula)

    # weights as arguments: captured by the closure, they would be compiled in as constants
    @jax.jit
    def view_errors(g_vars, variables, z):
        n = z.shape[0]
        ws = generator.apply(g_vars, z, jnp.broadcast_to(conditioning, (n, 25)), e.truncation_psi,
                             e.truncation_cutoff, method=generator.mapping)
        errors = []
        for v in range(views.shape[0]):
            labels = jnp.broadcast_to(views[v], (n, 25))
            image = generator.apply(g_vars, ws, labels, method=generator.synthesis, noise_mode="const")["image"]
            x, used = losses.estimator_input(image, info, config.loss.gaze_preprocessing)
            gaze = estimate_angles(module, variables, used, x)["gaze"]
            errors.append(jnp.mean(jnp.square(gaze - targets[v]), axis=-1))
        return jnp.stack(errors, axis=-1)  # (n, V)

    g_vars = {"params": state.ema_params, **state.extra["buffers"]}
    z_dim = config.model.z_dim
    per_seed = []
    for start in range(0, e.gfas_seeds, e.gfas_batch):
        seeds = range(start, min(start + e.gfas_batch, e.gfas_seeds))
        z = np.stack([np.random.RandomState(s).randn(z_dim) for s in seeds]).astype(np.float32)
        per_seed.append(np.asarray(view_errors(g_vars, variables, jnp.asarray(z))))
    per_view = np.concatenate(per_seed).mean(axis=0)
    return {"gfas": float(per_view.sum()), "per_view_mse": [float(x) for x in per_view], "seeds": e.gfas_seeds}
