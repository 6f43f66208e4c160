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
- ``camera_following``: with an estimator, how much the read gaze follows
  the camera round the face, ``1 -`` the slope of the read yaw against the
  face yaw across the views (0: eyes fixed in the head turn with it; 1: eyes
  look into every camera, FFHQ's bias). Unlike GFAS it ignores where a seed's
  eyes look, only how that changes with the camera.
- ``pose_error_deg``: when the estimator also reads head pose, the angle
  between its head pose and the direction the face points in that camera's
  frame (the geometric face angles, the head-pose convention), mean over
  seeds and views (``per_view_pose_error_deg``).
- ``identity_similarity``: with ``eval.identity_network``, the mean cosine
  similarity of the embeddings of one seed's views, over every pair of views
  and every seed (1 = the same embedding from every side).
- ``reference_<rule>_gfas``, ``_per_view_mse`` and ``_camera_following``:
  with an estimator and SynthGaze data (``eval.reference_faces`` > 0), the
  same scores of true SynthGaze faces seen from the same views, with the
  eyes fixed in the head or looking into every camera
  (:mod:`.synthgaze_reference`).

Also writes ``workdir/eg3d_views.png`` (:mod:`.view_sheet`): the first
``eval.view_sheet_seeds`` seeds from every view, with the face direction and
the estimator's gaze drawn.

Set-level metrics (:mod:`.fid_kid`), with ``eval.fid_checkpoint``: ``fid``
and ``kid`` of samples against the training split's real images.
"""

import importlib
import itertools
import math
import pathlib

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.convert import load_frozen
from gazejax.geometry import angular_error, camera_label, from_eg3d_sampler_angles
from gazejax.methods.eg3d import losses, schedules
from gazejax.methods.eg3d.fid_kid import fid_and_kid
from gazejax.methods.eg3d.training import build_models
from gazejax.methods.eg3d.synthgaze_reference import reference_faces
from gazejax.methods.eg3d.view_sheet import save_view_sheet
from gazejax.pretrained.gaze_estimator import estimate_angles


def focal_from_fov(fov_deg):
    """EG3D ``FOV_to_intrinsics``: normalised focal ``1 / (tan(fov / 2) * 1.414)``."""
    return 1.0 / (math.tan(fov_deg * math.pi / 360) * 1.414)


def view_angles(config):
    """Camera orbit (yaw, pitch) ``(V, 2)`` of the GFAS cameras."""
    e = config.eval
    return jnp.stack([from_eg3d_sampler_angles(math.pi / 2 + h, math.pi / 2 + e.view_pitch_offset)
                      for h in e.view_yaw_offsets])


def view_labels(config):
    """``(conditioning (25,), views (V, 25))`` EG3D labels of the GFAS cameras."""
    e = config.eval
    focal = focal_from_fov(e.fov_deg)
    views = jnp.stack([camera_label(a[0], a[1], look_at=tuple(e.pivot), focal=focal) for a in view_angles(config)])
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


def camera_following(read_yaw, face_yaw):
    """``1 -`` the least-squares slope of the seeds' mean read yaw on the face yaw.

    ``read_yaw`` (N, V): the camera-frame gaze yaw read on each seed's views;
    ``face_yaw`` (V,): the face's yaw in each view's camera, not all equal.
    Eyes fixed in the head read ``face yaw + their own yaw``: slope 1, 0 returned.
    Eyes that look into every camera read the same yaw in all: slope 0, 1 returned.
    """
    face = np.asarray(face_yaw, np.float64) - np.mean(face_yaw)
    read = np.mean(np.asarray(read_yaw, np.float64), axis=0)
    return float(1.0 - np.dot(read - read.mean(), face) / np.dot(face, face))


def gaze_scores(read, targets, face_yaw):
    """GFAS, its ``per_view_mse`` and ``camera_following`` of the gaze ``read`` (N, V, 2).

    ``targets`` (V, 2): the face angles GFAS compares with; ``face_yaw`` (V,):
    the geometric face yaw of each view (no camera following when all are equal).
    """
    per_view = np.mean(np.square(read - np.asarray(targets)), axis=-1).mean(axis=0)
    scores = dict(gfas=float(per_view.sum()), per_view_mse=[float(x) for x in per_view])
    if np.ptp(face_yaw) > 0:
        scores["camera_following"] = camera_following(read[..., 1], face_yaw)
    return scores


def reference_scores(config, read_gaze):
    """``reference_<rule>_*``: :func:`gaze_scores` of the true faces of :mod:`.synthgaze_reference`.

    ``read_gaze``: images (M, H, W, 3) in [-1, 1] -> the estimator's gaze (M, 2).
    """
    out = {}
    for rule, faces in reference_faces(config, config.eval.reference_faces, view_angles(config)).items():
        n, n_views = faces["image"].shape[:2]
        read = read_gaze(faces["image"].reshape(n * n_views, *faces["image"].shape[2:]) * 2 - 1)
        labels = jnp.asarray(faces["camera"])
        scores = gaze_scores(read.reshape(n, n_views, 2), losses.face_angles(labels, config.loss.face_angle_formula),
                             np.asarray(losses.face_angles(labels, "geometric"))[:, 1])
        out.update({f"reference_{rule}_{name}": value for name, value in scores.items()})
    return out


def evaluate(config, state, workdir):
    """The metrics above that ``config.eval`` enables (GFAS needs a gaze estimator)."""
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
        results.update(view_metrics(config, generator, g_vars, estimator, embed, workdir))
    if e.fid_checkpoint:
        results.update(fid_and_kid(config, generator, g_vars))
    return results


def view_metrics(config, generator, g_vars, estimator, embed, workdir):
    """GFAS, camera following and pose error (with an ``estimator`` directory) and identity similarity
    (with ``embed``); writes the view sheet."""
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

    judge, origin = None, (0.5, 0.5)
    if estimator:
        module, variables, info = load_frozen(estimator)
        crop = info.get("crop") if config.loss.gaze_preprocessing == "estimator" else None
        if crop:  # (top, left, side) fractions: the arrows start between the eyes the estimator reads
            origin = (crop[0] + crop[2] / 2, crop[1] + crop[2] / 2)

        @jax.jit
        def judge(variables, images):
            x, used = losses.estimator_input(images, info, config.loss.gaze_preprocessing)
            return estimate_angles(module, variables, used, x)

    gaze_targets = losses.face_angles(views, config.loss.face_angle_formula)
    pose_targets = losses.face_angles(views, "geometric")
    pose_errors, embeddings, reads, sheet = [], [], [], []
    for start in range(0, e.gfas_seeds, e.gfas_batch):
        seeds = range(start, min(start + e.gfas_batch, e.gfas_seeds))
        z = np.stack([np.random.RandomState(s).randn(config.model.z_dim) for s in seeds]).astype(np.float32)
        images = render(g_vars, jnp.asarray(z))
        n = images.shape[0]
        flat = images.reshape(n * n_views, *images.shape[2:])
        if start < e.view_sheet_seeds:
            sheet.append(np.clip((np.asarray(images) + 1) / 2, 0.0, 1.0))
        if judge is not None:
            read = {k: np.asarray(v).reshape(n, n_views, 2) for k, v in judge(variables, flat).items()}
            reads.append(read["gaze"])
            if "head" in read:
                pose_errors.append(np.asarray(angular_error(read["head"], pose_targets)))
        if embed is not None:
            unit = jnp.clip((flat + 1) / 2, 0.0, 1.0)
            embeddings.append(np.asarray(embed(unit)).reshape(n, n_views, -1))
    out = {"seeds": e.gfas_seeds}
    reads = np.concatenate(reads) if reads else None
    if reads is not None:
        out.update(gaze_scores(reads, gaze_targets, np.asarray(pose_targets)[:, 1]))
    if pose_errors:
        per_view = np.concatenate(pose_errors).mean(axis=0)
        out.update(pose_error_deg=float(per_view.mean()), per_view_pose_error_deg=[float(x) for x in per_view])
    if embeddings:
        out["identity_similarity"] = mean_view_similarity(np.concatenate(embeddings))
    if judge is not None and e.reference_faces and config.data.builder == "synthgaze":
        out.update(reference_scores(config, lambda x: np.asarray(judge(variables, jnp.asarray(x))["gaze"])))
    if sheet:
        k = e.view_sheet_seeds
        save_view_sheet(pathlib.Path(workdir) / "eg3d_views.png", np.concatenate(sheet)[:k], pose_targets,
                        None if reads is None else reads[:k], origin)
    return out
