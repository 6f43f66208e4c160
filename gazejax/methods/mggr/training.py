"""MGGR training (MGGR Sec. 3 and 4.1): stage 1 trains MGGR-C, stage 2 trains D and G.

Steps ``[0, schedule.coarse_steps)`` minimise ``L_recon`` (Eq. 3) over the
encoder-decoder; the following ``schedule.fine_steps`` steps update ``D``
with ``L_D`` (Eq. 12), then ``G`` with ``L_G`` (Eq. 13) against the updated
``D``. ``L_G`` never reaches the encoder-decoder (paper: "L_G is used only for
optimizing G"): its parameters enter stage 2 through ``stop_gradient`` and
are not passed to any optimizer there.

Batches are SynthGaze (or ColumbiaGaze, :mod:`gazejax.data.columbia`)
redirection pairs ``{'source': rec, 'target': rec}`` taken from the same
camera; each pair yields one training pair per eye in ``data.eyes``, the
right-eye patches being mirrored (so their yaw, gaze and head, is negated).
"""

import functools
import types
import warnings

import jax
import jax.numpy as jnp
import optax

from gazejax import metrics as image_metrics
from gazejax.methods.mggr import losses
from gazejax.methods.mggr.coarse import CoarseModel
from gazejax.methods.mggr.discriminator import Discriminator
from gazejax.methods.mggr.gazemap import normalize_angles
from gazejax.methods.mggr.generator import Generator
from gazejax.pretrained.perceptual import perceptual_network
from gazejax.train.method import TrainState
from gazejax.train.precision import compute_dtype

GROUPS = ("coarse", "generator", "discriminator")
_MIRROR_YAW = jnp.array([1.0, -1.0])
# Every step reports all terms (zeros where the stage does not compute one),
# so that the metrics log has one structure across both stages.
METRICS = ("loss", "stage", "coarse_recon", "g_recon", "g_feature", "g_style", "g_gaze",
           "g_adv", "g_loss", "d_adv", "d_gaze", "d_loss")


def build_models(config):
    """(CoarseModel, Generator, Discriminator) from ``config.model``."""
    m = config.model
    dtype = compute_dtype(config)
    shared = dict(angle_scale_deg=tuple(m.angle_scale_deg), use_gazemap=m.use_gazemap, dtype=dtype)
    return (
        CoarseModel(features=tuple(m.coarse_features), predict_flow=m.predict_flow,
                    max_flow=m.max_flow, **shared),
        Generator(features=tuple(m.generator_features), num_blocks=m.generator_blocks,
                  residual=m.residual, **shared),
        Discriminator(features=tuple(m.discriminator_features), head_features=m.head_features,
                      dtype=dtype),
    )


def patch_pairs(config, batch):
    """Redirection pairs of eye patches from a batch of record pairs.

    Returns a dict of arrays with leading size ``len(data.eyes) * B``:
    ``source``/``target`` (N, P, P, 3) patches resized to ``model.patch_size``,
    ``head_pose``, ``source_gaze``, ``target_gaze`` (N, 2) radians.
    """
    size = config.model.patch_size
    parts = []
    for eye in config.data.eyes:
        mirror = _MIRROR_YAW if eye == "right" else jnp.ones(2)
        src, tgt = batch["source"], batch["target"]
        parts.append(dict(
            source=src[f"{eye}_eye_patch"],
            target=tgt[f"{eye}_eye_patch"],
            head_pose=src["head_pose"] * mirror,
            source_gaze=src[f"{eye}_eye_patch_gaze"],
            target_gaze=tgt[f"{eye}_eye_patch_gaze"],
        ))
    out = jax.tree.map(lambda *xs: jnp.concatenate(xs), *parts)
    for key in ("source", "target"):
        n, h, w, c = out[key].shape
        if (h, w) != (size, size):
            out[key] = jax.image.resize(out[key], (n, size, size, c), "linear")
    return out


def check_batch(config, batch):
    """Raises ValueError (one line) when ``batch`` cannot train MGGR; call before jit."""
    if "source" not in batch or "target" not in batch:
        raise ValueError("MGGR trains on redirection pairs: set config.data.pairs = True")
    for eye in config.data.eyes:
        if eye not in ("left", "right"):
            raise ValueError(f"config.data.eyes: unknown eye {eye!r} (use 'left', 'right')")
        key = f"{eye}_eye_patch"
        if key not in batch["source"]:
            raise ValueError(f"records have no {key!r}: MGGR needs eye-patch records")
        shape = batch["source"][key].shape
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3:
            raise ValueError(f"{key} must be (B, P, P, 3) RGB patches, got {tuple(shape)}")
    levels = max(len(config.model.coarse_features), len(config.model.generator_features)) - 1
    if config.model.patch_size % 2**levels:
        raise ValueError(f"model.patch_size {config.model.patch_size} is not divisible by "
                         f"2^{levels} (the number of downsamplings)")
    s = config.schedule
    if config.num_steps != s.coarse_steps + s.fine_steps:
        raise ValueError(f"num_steps {config.num_steps} != schedule.coarse_steps "
                         f"{s.coarse_steps} + schedule.fine_steps {s.fine_steps}")


def _stage_schedule(lr, constant_steps, total_steps):
    """``lr`` for ``constant_steps``, then linear decay to 0 at ``total_steps`` (Sec. 4.1).

    Each group's optimizer counts only its own updates, so the steps are
    counted from the start of that group's stage.
    """
    decay = max(total_steps - constant_steps, 1)
    return optax.join_schedules(
        [optax.constant_schedule(lr), optax.linear_schedule(lr, 0.0, decay)], [constant_steps]
    )


def optimizers(config):
    """{group: Adam(beta1, beta2)} with the paper's per-stage schedules."""
    o, s = config.optim, config.schedule
    adam = functools.partial(optax.adam, b1=o.b1, b2=o.b2)
    return dict(
        coarse=adam(_stage_schedule(o.coarse_lr, o.constant_steps, s.coarse_steps)),
        generator=adam(_stage_schedule(o.lr, o.constant_steps, s.fine_steps)),
        discriminator=adam(_stage_schedule(o.lr, o.constant_steps, s.fine_steps)),
    )


def perceptual_enabled(config):
    l = config.loss
    return bool(l.perceptual_checkpoint) and (l.g_feature > 0 or l.g_style > 0)


def _feature_fn(config, extra):
    """``images -> (content map, [style maps])`` of the frozen feature network, or None."""
    if not perceptual_enabled(config):
        return None
    l = config.loss
    network = perceptual_network(l.perceptual_checkpoint, (l.content_layer, *l.style_layers))[0]
    variables = jax.lax.stop_gradient(extra["perceptual"])

    def features(images):
        out = network.apply(variables, images)
        return out[l.content_layer], [out[name] for name in l.style_layers]

    return features


def _loss_weights(config):
    """The lambdas of Eq. 12-13; the perceptual ones are 0 without a feature network."""
    names = ("d_gaze", "g_recon", "g_feature", "g_style", "g_gaze", "g_adv")
    weights = {name: config.loss[name] for name in names}
    if not perceptual_enabled(config):
        weights.update(g_feature=0.0, g_style=0.0)
    return types.SimpleNamespace(**weights)


def init(config, key, batch):
    check_batch(config, batch)
    pairs = patch_pairs(config, batch)
    coarse, generator, discriminator = build_models(config)
    k_c, k_g, k_d = jax.random.split(key, 3)
    inputs = (pairs["source"], pairs["head_pose"], pairs["source_gaze"], pairs["target_gaze"])
    params = dict(
        coarse=coarse.init(k_c, *inputs)["params"],
        generator=generator.init(k_g, pairs["source"], *inputs)["params"],
        discriminator=discriminator.init(k_d, pairs["source"])["params"],
    )
    txs = optimizers(config)
    extra = {}
    l = config.loss
    if (l.g_feature or l.g_style) and not l.perceptual_checkpoint:
        warnings.warn("MGGR: no loss.perceptual_checkpoint, so the feature and style terms are off")
    if perceptual_enabled(config):
        extra["perceptual"] = perceptual_network(l.perceptual_checkpoint, (l.content_layer, *l.style_layers))[1]
    return TrainState(
        step=jnp.zeros((), jnp.int32), params=params,
        opt_state={g: txs[g].init(params[g]) for g in GROUPS}, extra=extra,
    )


def _coarse_forward(config, params, pairs):
    coarse = build_models(config)[0]
    return coarse.apply({"params": params}, pairs["source"], pairs["head_pose"],
                        pairs["source_gaze"], pairs["target_gaze"])["image"]


def _refine(config, params, coarse_image, pairs):
    generator = build_models(config)[1]
    return generator.apply({"params": params}, coarse_image, pairs["source"], pairs["head_pose"],
                           pairs["source_gaze"], pairs["target_gaze"])


def redirect(config, params, source, head_pose, source_gaze, target_gaze):
    """Redirects eye patches: returns ``{'coarse': x~_b, 'refined': x^_b}``.

    Args:
      params: the ``{'coarse', 'generator', 'discriminator'}`` parameter groups.
      source: (N, P, P, 3) patches in [0, 1] (right eyes mirrored), P = model.patch_size.
      head_pose, source_gaze, target_gaze: (N, 2) radians (mirrored yaw for right eyes).
    """
    pairs = dict(source=source, head_pose=head_pose, source_gaze=source_gaze,
                 target_gaze=target_gaze)
    coarse_image = _coarse_forward(config, params["coarse"], pairs)
    refined = _refine(config, params["generator"], coarse_image, pairs)
    return dict(coarse=coarse_image, refined=refined)


def _update(tx, grads, opt_state, params):
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state


def _all_metrics(**values):
    return {name: jnp.asarray(values.get(name, 0.0), jnp.float32) for name in METRICS}


def coarse_step(config, state, pairs):
    """Stage 1: one Adam step of MGGR-C on ``L_recon`` (Eq. 3)."""
    def loss_fn(params):
        return losses.reconstruction(_coarse_forward(config, params, pairs), pairs["target"])

    loss, grads = jax.value_and_grad(loss_fn)(state.params["coarse"])
    params, opt_state = dict(state.params), dict(state.opt_state)
    params["coarse"], opt_state["coarse"] = _update(
        optimizers(config)["coarse"], grads, state.opt_state["coarse"], state.params["coarse"])
    return state.replace(params=params, opt_state=opt_state), _all_metrics(
        loss=loss, stage=1.0, coarse_recon=loss)


def fine_step(config, state, pairs):
    """Stage 2: a D step on ``L_D`` (Eq. 12), then a G step on ``L_G`` (Eq. 13)."""
    discriminator = build_models(config)[2]
    txs = optimizers(config)
    weights = _loss_weights(config)
    features = _feature_fn(config, state.extra)
    target_gaze = normalize_angles(pairs["target_gaze"], config.model.angle_scale_deg)
    coarse_image = jax.lax.stop_gradient(
        _coarse_forward(config, state.params["coarse"], pairs))
    d_apply = discriminator.apply
    fake = jax.lax.stop_gradient(_refine(config, state.params["generator"], coarse_image, pairs))

    def d_loss_fn(d_params):
        real_logits, real_gaze = d_apply({"params": d_params}, pairs["target"])
        fake_logits, _ = d_apply({"params": d_params}, fake)
        return losses.discriminator_objective(real_logits, real_gaze, fake_logits, target_gaze,
                                              weights)

    (d_loss, d_terms), d_grads = jax.value_and_grad(d_loss_fn, has_aux=True)(
        state.params["discriminator"])
    d_params, d_opt = _update(txs["discriminator"], d_grads, state.opt_state["discriminator"],
                              state.params["discriminator"])

    def g_loss_fn(g_params):
        refined = _refine(config, g_params, coarse_image, pairs)
        fake_logits, fake_gaze = d_apply({"params": d_params}, refined)
        return losses.generator_objective(refined, pairs["target"], fake_logits, fake_gaze,
                                          target_gaze, weights, features)

    (g_loss, g_terms), g_grads = jax.value_and_grad(g_loss_fn, has_aux=True)(
        state.params["generator"])
    g_params, g_opt = _update(txs["generator"], g_grads, state.opt_state["generator"],
                              state.params["generator"])

    params = dict(state.params, generator=g_params, discriminator=d_params)
    opt_state = dict(state.opt_state, generator=g_opt, discriminator=d_opt)
    return state.replace(params=params, opt_state=opt_state), _all_metrics(
        loss=g_loss, stage=2.0, g_loss=g_loss, d_loss=d_loss,
        coarse_recon=losses.reconstruction(coarse_image, pairs["target"]), **g_terms, **d_terms)


def phase(config, step):
    """``'coarse'`` for the first ``schedule.coarse_steps`` steps, then ``'fine'``."""
    return "coarse" if step < config.schedule.coarse_steps else "fine"


def train_step(config, state, batch, key, phase):
    """Stage 1 (``phase='coarse'``) or stage 2 (``'fine'``); MGGR draws no random numbers."""
    del key
    pairs = patch_pairs(config, batch)
    if phase == "coarse":
        return coarse_step(config, state, pairs)
    if phase == "fine":
        return fine_step(config, state, pairs)
    raise ValueError(f"MGGR phase must be 'coarse' or 'fine', got {phase!r}")


def _outputs(config, state, batch):
    pairs = patch_pairs(config, batch)
    out = redirect(config, state.params, pairs["source"], pairs["head_pose"],
                   pairs["source_gaze"], pairs["target_gaze"])
    return pairs, out


def eval_step(config, state, batch):
    """Mean PSNR/SSIM of the coarse and refined outputs and of the do-nothing baseline."""
    pairs, out = _outputs(config, state, batch)
    images = dict(coarse=out["coarse"], refined=jnp.clip(out["refined"], 0.0, 1.0),
                  baseline=pairs["source"])
    result = {}
    for name, image in images.items():
        result[f"psnr_{name}"] = jnp.mean(image_metrics.psnr(image, pairs["target"]))
        result[f"ssim_{name}"] = jnp.mean(image_metrics.ssim(image, pairs["target"]))
    result["psnr"] = result["psnr_refined"]
    return result


def sample_images(config, state, batch):
    """Rows (the grid orders them by name): source patch, coarse ``x~_b``, refined ``x^_b``, true target."""
    pairs, out = _outputs(config, state, batch)
    return dict(a_source=pairs["source"], b_coarse=out["coarse"],
                c_refined=jnp.clip(out["refined"], 0.0, 1.0), d_target=pairs["target"])
