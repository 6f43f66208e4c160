"""LiveGaze's objective (paper Sec. 3.4): ``L = l_R L_R + l_D L_D + l_P L_P`` (Eq. 6).

A batch is a redirection pair of one identity: the model sees the source
image and the target's gaze (head frame, Sec. 4.1) and camera, and is
compared with the target image:

- ``L_R = l_Rf L_Rf + l_Re L_Re`` (Eq. 7): masked L1 inside the face mask
  (Eq. 8) and inside the union of the two eye masks (Eq. 9);
- ``L_D`` (Eq. 10): L1 between the rendered depth and the teacher's, at the
  neural-render resolution. The default teacher is SynthGaze's true depth,
  compared inside the (area-downsampled) face mask only, because SynthGaze
  stores 0 on the background where the paper's Live3D teacher has a depth;
- ``L_P`` (Eq. 11): feature L1 of the face-masked images through the frozen
  network of ``loss.perceptual_checkpoint`` (VGG16, or a trained estimator).
"""

import importlib

import jax
import jax.numpy as jnp

from gazejax.losses.perceptual import perceptual_loss
from gazejax.losses.reconstruction import masked_l1
from gazejax.methods.livegaze.build import build_model, model_variables
from gazejax.train.precision import compute_dtype


def perceptual_network_of(config):
    """(feature module, its frozen variables) when ``loss.perceptual_checkpoint`` is set, else None."""
    if not config.loss.perceptual_checkpoint:
        return None
    from gazejax.pretrained.perceptual import perceptual_network  # noqa: PLC0415 -- orbax restore only when used

    # The network runs at the image's own resolution (no resize to 224).
    return perceptual_network(config.loss.perceptual_checkpoint, tuple(config.loss.perceptual_layers))


def _depth_teacher(config):
    """``fn(frontal_image, camera) -> depth (N, h, w)`` from ``loss.depth_teacher``, or None."""
    if not config.loss.depth_teacher:
        return None
    module, _, factory = config.loss.depth_teacher.partition(":")
    return getattr(importlib.import_module(module), factory)(config)


def area_downsample(x, size):
    """``(N, H, W)`` -> ``(N, size, size)`` by averaging ``H/size`` x ``W/size`` blocks."""
    n, h, w = x.shape
    return x.reshape(n, size, h // size, size, w // size).mean(axis=(2, 4))


def teacher_depth(config, target, resolution):
    """Teacher depth and the mask it is trusted in, at the render resolution."""
    teacher = _depth_teacher(config)
    if teacher is not None:
        # SynthGaze pairs have no separate frontal view; the target image
        # (same identity and gaze) stands in for the paper's I_f.
        depth = teacher(target["image"], target["camera"])
        return depth, jnp.ones_like(depth)
    mask = area_downsample(target["face_mask"], resolution)
    depth = area_downsample(target["depth"] * target["face_mask"], resolution)
    full = (mask > 0.999).astype(depth.dtype)  # blocks entirely on the face
    return depth / jnp.maximum(mask, 1e-6), full


def total_loss(config, params, extra, batch, key):
    """(total loss, metrics) of one pair batch; ``key`` jitters the ray samples."""
    model = build_model(config.model, compute_dtype(config))
    source, target = batch["source"], batch["target"]
    out = model.apply(model_variables(params, extra), source["image"], target["gaze_head"], target["camera"], key)
    w = config.loss
    face = target["face_mask"]
    eyes = jnp.maximum(target["left_eye_mask"], target["right_eye_mask"])
    face_l1 = masked_l1(out["image"], target["image"], face)
    eye_l1 = masked_l1(out["image"], target["image"], eyes)
    metrics = dict(face_l1=face_l1, eye_l1=eye_l1)
    loss = w.reconstruction * (w.face * face_l1 + w.eyes * eye_l1)
    if w.depth:  # real datasets have no true depth: their configs set loss.depth = 0 or a teacher
        if "depth" not in target and not config.loss.depth_teacher:
            raise ValueError("loss.depth > 0 needs records with 'depth' or a loss.depth_teacher; "
                             "set loss.depth=0 for datasets without depth")
        depth, depth_mask = teacher_depth(config, target, model.neural_resolution)
        metrics["depth_l1"] = masked_l1(out["depth"][..., None], depth[..., None], depth_mask)
        loss = loss + w.depth * metrics["depth_l1"]
    if extra is not None and "perceptual" in extra:
        network = perceptual_network_of(config)[0]
        features = network.apply(extra["perceptual"], jnp.concatenate([
            out["image"] * face[..., None], target["image"] * face[..., None]
        ]))
        n = face.shape[0]
        pred_f = {k: v[:n] for k, v in features.items()}
        target_f = {k: jax.lax.stop_gradient(v[n:]) for k, v in features.items()}
        metrics["perceptual"] = perceptual_loss(
            pred_f, target_f, tuple(w.perceptual_layers), tuple(w.perceptual_layer_weights)
        )
        loss = loss + w.perceptual * metrics["perceptual"]
    metrics["loss"] = loss
    return loss, (metrics, out)
