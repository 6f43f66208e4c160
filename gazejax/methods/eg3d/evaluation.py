"""``gazejax evaluate`` for EG3D: GFAS, head-pose accuracy, identity consistency, FID and KID.

View metrics, on the protocol of Gaze-Corrected-EG3D's ``calc_gfas.py``:
seeds ``0 .. eval.gfas_seeds - 1`` (latent ``RandomState(seed).randn(z_dim)``),
each rendered by the EMA generator conditioned on the frontal camera,
truncation ``psi`` with ``cutoff``, from three cameras on EG3D's orbit
(sampler ``h = pi/2 + offset``, ``v = pi/2 + view_pitch_offset``, radius
2.7, looking at the pivot, focal from ``fov_deg``).

- ``gfas``: per view, the MSE (rad^2, over pitch and yaw) between the gaze
  the estimator reads on the image and the face angles of that camera
  (``config.loss.face_angle_formula``); the sum over views of the mean over
  seeds (lower is better). Estimator preprocessing follows ``config.loss``.
- ``pose_error_deg``: when the estimator also reads head pose, the angle
  between its head pose and the direction the face points in that camera's
  frame (the geometric face angles, the head-pose convention), mean over
  seeds and views (``per_view_pose_error_deg``).
- ``identity_similarity``: with ``eval.identity_network``, the mean cosine
  similarity of the embeddings of one seed's views, over every pair of views
  and every seed (1 = the same embedding from every side).

Set-level metrics (:mod:`.fid_kid`), with ``eval.fid_checkpoint``: ``fid``
and ``kid`` of samples against the training split's real images.
"""

import importlib
import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.convert import load_frozen
from gazejax.geometry import angular_error, camera_label, from_eg3d_sampler_angles
from gazejax.methods.eg3d import losses, schedules
from gazejax.methods.eg3d.fid_kid import fid_and_kid
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


def identity_network(config):
    """``images (N, H, W, 3) in [0, 1] -> (N, D)`` from ``eval.identity_network``, or None when unset."""
    if not config.eval.identity_network:
        return None
    module, sep, factory = config.eval.identity_network.partition(":")
    if not sep:
        raise ValueError(f"eval.identity_network must be 'package.module:factory', got "
                         f"{config.eval.identity_network!r}")
    return getattr(importlib.import_module(module), factory)(config)


def mean_view_similarity(embeddings):
    """Mean cosine similarity over every pair of views of each sample: ``(N, V, D) -> float``."""
    unit = embeddings / np.maximum(np.linalg.norm(embeddings, axis=-1, keepdims=True), 1e-12)
    pairs = list(itertools.combinations(range(unit.shape[1]), 2))
    return float(np.mean([np.sum(unit[:, i] * unit[:, j], axis=-1) for i, j in pairs]))


def evaluate(config, state, workdir):
    """The metrics above that ``config.eval`` enables (GFAS needs a gaze estimator)."""
    del workdir  # the trainer writes eval.json
    e = config.eval
    estimator = e.estimator_checkpoint or config.loss.gaze_estimator_checkpoint
    embed = identity_network(config)
    if not (estimator or embed or e.fid_checkpoint):
        raise ValueError("nothing to evaluate: set eval.estimator_checkpoint (GFAS, pose), "
                         "eval.identity_network or eval.fid_checkpoint")
    generator, _ = build_models(config, schedules.neural_rendering_resolution(config, config.num_steps))
    g_vars = {"params": state.ema_params, **state.extra["buffers"]}
    results = {}
    if estimator or embed:
        results.update(view_metrics(config, generator, g_vars, estimator, embed))
    if e.fid_checkpoint:
        results.update(fid_and_kid(config, generator, g_vars))
    return results


def view_metrics(config, generator, g_vars, estimator, embed):
    """GFAS and pose error (with an ``estimator`` directory) and identity similarity (with ``embed``)."""
    e = config.eval
    conditioning, views = view_labels(config)
    n_views = views.shape[0]

    # weights as arguments: captured by the closure, they would be compiled in as constants
    @jax.jit
    def render(g_vars, z):
        n = z.shape[0]
        ws = generator.apply(g_vars, z, jnp.broadcast_to(conditioning, (n, 25)), e.truncation_psi,
                             e.truncation_cutoff, method=generator.mapping)
        images = [generator.apply(g_vars, ws, jnp.broadcast_to(views[v], (n, 25)), method=generator.synthesis,
                                  noise_mode="const")["image"] for v in range(n_views)]
        return jnp.stack(images, axis=1)  # (n, V, H, W, 3) in [-1, 1]

    judge = None
    if estimator:
        module, variables, info = load_frozen(estimator)

        @jax.jit
        def judge(variables, images):
            x, used = losses.estimator_input(images, info, config.loss.gaze_preprocessing)
            return estimate_angles(module, variables, used, x)

    gaze_targets = losses.face_angles(views, config.loss.face_angle_formula)
    pose_targets = losses.face_angles(views, "geometric")
    gaze_errors, pose_errors, embeddings = [], [], []
    for start in range(0, e.gfas_seeds, e.gfas_batch):
        seeds = range(start, min(start + e.gfas_batch, e.gfas_seeds))
        z = np.stack([np.random.RandomState(s).randn(config.model.z_dim) for s in seeds]).astype(np.float32)
        images = render(g_vars, jnp.asarray(z))
        n = images.shape[0]
        flat = images.reshape(n * n_views, *images.shape[2:])
        if judge is not None:
            read = {k: np.asarray(v).reshape(n, n_views, 2) for k, v in judge(variables, flat).items()}
            gaze_errors.append(np.mean(np.square(read["gaze"] - np.asarray(gaze_targets)), axis=-1))
            if "head" in read:
                pose_errors.append(np.asarray(angular_error(read["head"], pose_targets)))
        if embed is not None:
            unit = jnp.clip((flat + 1) / 2, 0.0, 1.0)
            embeddings.append(np.asarray(embed(unit)).reshape(n, n_views, -1))
    out = {"seeds": e.gfas_seeds}
    if gaze_errors:
        per_view = np.concatenate(gaze_errors).mean(axis=0)
        out.update(gfas=float(per_view.sum()), per_view_mse=[float(x) for x in per_view])
    if pose_errors:
        per_view = np.concatenate(pose_errors).mean(axis=0)
        out.update(pose_error_deg=float(per_view.mean()), per_view_pose_error_deg=[float(x) for x in per_view])
    if embeddings:
        out["identity_similarity"] = mean_view_similarity(np.concatenate(embeddings))
    return out
