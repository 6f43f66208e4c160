"""EG3D's training schedules, each a pure function of the training step.

EG3D counts progress in images shown (``cur_nimg``); here ``nimg = step *
batch_size``, so a run resumed at step ``k`` continues every schedule where
it was (the official ``--resume`` restarts the blur, pose-conditioning and
resolution fades at 0). Numbers come from ``config.schedule`` (kimg =
thousands of images) and ``config.loss``; docs/eg3d.md lists them.

All functions accept a Python int step (static: the neural rendering
resolution and the lazy-regularisation phases pick a compiled step) or a
traced ``jnp`` step (the blur, the swap probability, the EMA decay).
"""

import math

import jax.numpy as jnp


def images_shown(config, step):
    """``nimg``: images seen before step ``step``."""
    return step * config.batch_size


def _fade_in(nimg, fade_kimg):
    """0 -> 1 linearly over ``fade_kimg`` thousand images (1 at once when ``fade_kimg`` is 0)."""
    if fade_kimg <= 0:
        return jnp.ones_like(jnp.asarray(nimg, jnp.float32))
    return jnp.minimum(jnp.asarray(nimg, jnp.float32) / (fade_kimg * 1e3), 1.0)


def blur_sigma(config, step):
    """Std (pixels) of the Gaussian blur of the discriminator's image input: ``sigma0`` fading to 0."""
    s = config.schedule
    if s.blur_fade_kimg <= 0:
        return jnp.zeros(())
    return (1.0 - _fade_in(images_shown(config, step), s.blur_fade_kimg)) * s.blur_init_sigma


def swap_probability(config, step):
    """Generator pose conditioning: chance that a sample is conditioned on another sample's camera.

    Fades from 1 (always swapped) to ``schedule.gpc_reg_prob`` over ``gpc_reg_fade_kimg``.
    """
    s = config.schedule
    alpha = _fade_in(images_shown(config, step), s.gpc_reg_fade_kimg)
    return (1.0 - alpha) + alpha * s.gpc_reg_prob


def neural_rendering_resolution(config, step):
    """Raw render side at ``step`` (a Python int): initial -> final over the fade, rounded.

    ``schedule.neural_rendering_resolution_final = 0`` keeps the initial one.
    """
    s = config.schedule
    if not s.neural_rendering_resolution_final:
        return s.neural_rendering_resolution_initial
    fade_kimg = s.neural_rendering_resolution_fade_kimg
    alpha = 1.0 if fade_kimg <= 0 else min(images_shown(config, step) / (fade_kimg * 1e3), 1.0)
    blend = s.neural_rendering_resolution_initial * (1 - alpha) + s.neural_rendering_resolution_final * alpha
    return int(round(blend))


def ema_beta(config, step):
    """Decay of the generator EMA after ``step``: half-life ``ema_kimg``, ramped up by ``ema_rampup``."""
    s = config.schedule
    ema_nimg = jnp.asarray(s.ema_kimg * 1e3, jnp.float32)
    if s.ema_rampup > 0:
        ema_nimg = jnp.minimum(ema_nimg, jnp.asarray(images_shown(config, step), jnp.float32) * s.ema_rampup)
    return 0.5 ** (config.batch_size / jnp.maximum(ema_nimg, 1e-8))


def regularization_phase(config, step):
    """(generator density regularisation, discriminator R1) at ``step``: every ``interval``-th step."""
    l = config.loss
    g_reg = l.density_reg > 0 and l.g_reg_interval > 0 and step % l.g_reg_interval == 0
    d_reg = l.r1_gamma > 0 and l.d_reg_interval > 0 and step % l.d_reg_interval == 0
    return bool(g_reg), bool(d_reg)


def lazy_adam_settings(lr, betas, interval):
    """EG3D's lazy-regularisation correction: ``lr * c`` and ``beta ** c`` with ``c = k / (k + 1)``.

    The regulariser runs every ``k``-th step as an extra optimiser step, so
    ``k + 1`` updates happen where plain training would do ``k``.
    """
    if interval <= 0:
        return lr, tuple(betas)
    ratio = interval / (interval + 1)
    return lr * ratio, tuple(math.pow(b, ratio) for b in betas)


def blur_taps(sigma, max_sigma):
    """EG3D's 1-D blur filter ``2^(-(x / sigma)^2)``, normalised, on ``|x| <= floor(3 sigma)``.

    The taps span the largest support ``floor(3 max_sigma)`` so that the
    shape does not change as ``sigma`` fades; taps beyond ``floor(3 sigma)``
    are zero, which is EG3D's shorter filter exactly (and a unit impulse,
    i.e. no blur, once ``floor(3 sigma) = 0``).
    """
    half = int(math.floor(3 * max_sigma))
    x = jnp.arange(-half, half + 1, dtype=jnp.float32)
    support = jnp.floor(3 * sigma)
    safe = jnp.maximum(sigma, 1e-8)
    taps = jnp.where(jnp.abs(x) <= support, jnp.exp2(-jnp.square(x / safe)), 0.0)
    return taps / jnp.sum(taps)
