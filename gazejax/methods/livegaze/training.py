"""LiveGaze training (LiveGaze paper Sec. 3.4): state, optimizer groups, the step, samples.

The objective (Eqs. 6-11) is :mod:`gazejax.methods.livegaze.losses`.
Two optimizer groups (AdamW): ``encoder`` (image/gaze encoders, fusion,
tri-plane decoder) and ``renderer`` (OSG decoder, super-resolution, constant w).
``state.extra`` holds what is not optimised: ``buffers`` (the
super-resolution's fixed noise) and ``perceptual`` (the frozen feature network's variables).
"""

import jax
import jax.numpy as jnp
import optax

from gazejax.losses.reconstruction import masked_l1
from gazejax.methods.livegaze import losses
from gazejax.methods.livegaze.build import build_model, init_variables, model_variables
from gazejax.metrics import psnr, ssim
from gazejax.train.method import TrainState
from gazejax.train.microbatching import microbatched_value_and_grad
from gazejax.train.precision import compute_dtype


def _labels(params):
    return {k: jax.tree.map(lambda _: "encoder" if k == "encoder" else "renderer", v) for k, v in params.items()}


def optimizer(config):
    """AdamW per parameter group (Sec. 4.1), after optional global-norm clipping."""
    o = config.optim

    def adamw(lr):
        return optax.adamw(lr, b1=o.b1, b2=o.b2, weight_decay=o.weight_decay)

    tx = optax.multi_transform({"encoder": adamw(o.encoder_lr), "renderer": adamw(o.renderer_lr)}, _labels)
    return optax.chain(optax.clip_by_global_norm(o.clip_norm), tx) if o.clip_norm > 0 else tx


def init(config, key, batch):
    model = build_model(config.model, compute_dtype(config))
    source, target = batch["source"], batch["target"]
    variables = dict(init_variables(model, key, source["image"], target["gaze_head"], target["camera"]))
    params = variables.pop("params")
    extra = {}
    if variables:  # fixed buffers (the super-resolution's noise constants)
        extra["buffers"] = variables
    perceptual = losses.perceptual_network_of(config)
    if perceptual:
        extra["perceptual"] = perceptual[1]
    return TrainState(
        step=jnp.zeros((), jnp.int32),
        params=params,
        opt_state=optimizer(config).init(params),
        extra=extra or None,
    )


def train_step(config, state, batch, key):
    def loss_and_metrics(params, batch, key):
        loss, (metrics, _) = losses.total_loss(config, params, state.extra, batch, key)
        return loss, metrics

    (_, metrics), grads = microbatched_value_and_grad(
        loss_and_metrics, state.params, batch, key, config.get("num_microbatches", 1))
    updates, opt_state = optimizer(config).update(grads, state.opt_state, state.params)
    params = optax.apply_updates(state.params, updates)
    metrics["grad_norm"] = optax.tree.norm(grads)
    return state.replace(params=params, opt_state=opt_state), metrics


def redirect(config, variables, images, gaze, camera):
    """Deterministic redirection (no sample jitter) with :func:`model_variables`: the output dict."""
    return build_model(config.model, compute_dtype(config)).apply(variables, images, gaze, camera, None)


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
