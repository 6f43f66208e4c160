"""LiveGaze training (livegaze.txt Sec. 3.4): ``L = l_R L_R + l_D L_D + l_P L_P`` (Eq. 6).

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

Two optimizer groups (AdamW): ``encoder`` (image/gaze encoders, fusion,
tri-plane decoder) and ``renderer`` (OSG decoder, super-resolution, constant w).
``state.extra`` holds what is not optimised: ``buffers`` (the
super-resolution's fixed noise) and ``perceptual`` (the frozen feature network's variables).
"""

import functools
import importlib

import jax
import jax.numpy as jnp
import optax

from gazejax.losses.perceptual import perceptual_loss
from gazejax.losses.reconstruction import masked_l1
from gazejax.metrics import psnr, ssim
from gazejax.models.livegaze.build import build_model, init_variables
from gazejax.train.livegaze_eval import evaluate
from gazejax.train.method import Method, TrainState


def _labels(params):
    return {k: jax.tree.map(lambda _: "encoder" if k == "encoder" else "renderer", v) for k, v in params.items()}


def optimizer(config):
    """AdamW per parameter group (Sec. 4.1), after optional global-norm clipping."""
    o = config.optim

    def adamw(lr):
        return optax.adamw(lr, b1=o.b1, b2=o.b2, weight_decay=o.weight_decay)

    tx = optax.multi_transform({"encoder": adamw(o.encoder_lr), "renderer": adamw(o.renderer_lr)}, _labels)
    return optax.chain(optax.clip_by_global_norm(o.clip_norm), tx) if o.clip_norm > 0 else tx


def _perceptual(config):
    """(feature module, its frozen variables) when ``loss.perceptual_checkpoint`` is set, else None."""
    if not config.loss.perceptual_checkpoint:
        return None
    from gazejax.models.perceptual import perceptual_network  # noqa: PLC0415 -- orbax restore only when used

    # The network runs at the image's own resolution (no resize to 224).
    return perceptual_network(config.loss.perceptual_checkpoint, tuple(config.loss.perceptual_layers))


def _depth_teacher(config):
    """``fn(frontal_image, camera) -> depth (N, h, w)`` from ``loss.depth_teacher``, or None."""
    if not config.loss.depth_teacher:
        return None
    module, _, factory = config.loss.depth_teacher.partition(":")
    return getattr(importlib.import_module(module), factory)(config)


def init(config, key, batch):
    model = build_model(config.model)
    source, target = batch["source"], batch["target"]
    variables = dict(init_variables(model, key, source["image"], target["gaze_head"], target["camera"]))
    params = variables.pop("params")
    extra = {}
    if variables:  # fixed buffers (the super-resolution's noise constants)
        extra["buffers"] = variables
    perceptual = _perceptual(config)
    if perceptual:
        extra["perceptual"] = perceptual[1]
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state=optimizer(config).init(params),
        extra=extra or None,
    )


def model_variables(params, extra):
    """The model's variables: trained ``params`` plus the fixed buffers in ``extra``."""
    return {"params": params, **((extra or {}).get("buffers") or {})}


def area_downsample(x, size):
    """``(N, H, W)`` -> ``(N, size, size)`` by averaging ``H/size`` x ``W/size`` blocks."""
    n, h, w = x.shape
    return x.reshape(n, size, h // size, size, w // size).mean(axis=(2, 4))


def _teacher(config, target, resolution):
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


def losses(config, params, extra, batch, key):
    """(total loss, metrics) of one pair batch; ``key`` jitters the ray samples."""
    model = build_model(config.model)
    source, target = batch["source"], batch["target"]
    out = model.apply(model_variables(params, extra), source["image"], target["gaze_head"], target["camera"], key)
    w = config.loss
    face = target["face_mask"]
    eyes = jnp.maximum(target["left_eye_mask"], target["right_eye_mask"])
    face_l1 = masked_l1(out["image"], target["image"], face)
    eye_l1 = masked_l1(out["image"], target["image"], eyes)
    teacher_depth, depth_mask = _teacher(config, target, model.neural_resolution)
    depth_l1 = masked_l1(out["depth"][..., None], teacher_depth[..., None], depth_mask)
    metrics = dict(face_l1=face_l1, eye_l1=eye_l1, depth_l1=depth_l1)
    loss = w.reconstruction * (w.face * face_l1 + w.eyes * eye_l1) + w.depth * depth_l1
    if extra is not None and "perceptual" in extra:
        network = _perceptual(config)[0]
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


def train_step(config, state, batch, key):
    grad_fn = jax.value_and_grad(
        lambda p: losses(config, p, state.extra, batch, key), has_aux=True
    )
    (_, (metrics, _)), grads = grad_fn(state.params)
    updates, opt_state = optimizer(config).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    metrics["grad_norm"] = optax.tree.norm(grads)
    return state.replace(params=params, opt_state=opt_state), metrics


def redirect(config, variables, images, gaze, camera):
    """Deterministic redirection (no sample jitter) with :func:`model_variables`: the output dict."""
    return build_model(config.model).apply(variables, images, gaze, camera, None)


def eval_step(config, state, batch):
    """Face-masked PSNR/SSIM of the redirection and of the do-nothing baseline."""
    source, target = batch["source"], batch["target"]
    out = redirect(config, model_variables(state.params, state.extra), source["image"], target["gaze_head"],
                   target["camera"])
    face = target["face_mask"]
    return dict(
        psnr_face=jnp.mean(psnr(out["image"], target["image"], face)),
        ssim_face=jnp.mean(ssim(out["image"], target["image"], face)),
        psnr_face_baseline=jnp.mean(psnr(source["image"], target["image"], face)),
        face_l1=masked_l1(out["image"], target["image"], face),
    )


def depth_to_rgb(depth, size, near, far):
    """``(N, h, w)`` depth -> ``(N, size, size, 3)`` grey image, near = white."""
    grey = jnp.clip((far - depth) / (far - near), 0.0, 1.0)[..., None]
    grey = jax.image.resize(grey, (grey.shape[0], size, size, 1), "nearest")
    return jnp.repeat(grey, 3, axis=-1)


def sample_images(config, state, batch):
    source, target = batch["source"], batch["target"]
    out = redirect(config, model_variables(state.params, state.extra), source["image"], target["gaze_head"],
                   target["camera"])
    size = out["image"].shape[1]
    m = config.model
    return dict(
        a_source=source["image"],
        b_redirected=jnp.clip(out["image"], 0.0, 1.0),
        c_target=target["image"],
        d_depth=depth_to_rgb(out["depth"], size, m.ray_start, m.ray_end),
    )


METHOD = Method(
    init=init,
    train_step=train_step,
    eval_step=eval_step,
    sample_images=sample_images,
    evaluate=functools.partial(evaluate, redirect, model_variables),
)
