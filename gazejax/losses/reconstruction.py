"""Pixel reconstruction losses with masks (NHWC images, masks (N,H,W) or (N,H,W,1))."""

import jax.numpy as jnp


def _expand(mask, x):
    mask = jnp.asarray(mask, x.dtype)
    return mask[..., None] if mask.ndim == x.ndim - 1 else mask


def masked_l1(pred, target, mask):
    """Mean absolute error over the masked pixels (and all channels).

    Normalised by the number of masked values, so a small region (an eye)
    weighs as much per pixel as a large one; an empty mask gives 0.
    """
    m = _expand(mask, pred)
    total = jnp.sum(m * jnp.abs(pred - target))
    return total / jnp.maximum(jnp.sum(m) * pred.shape[-1] / m.shape[-1], 1.0)


def masked_mse(pred, target, mask):
    """Mean squared error over the masked pixels, normalised like :func:`masked_l1`."""
    m = _expand(mask, pred)
    total = jnp.sum(m * (pred - target) ** 2)
    return total / jnp.maximum(jnp.sum(m) * pred.shape[-1] / m.shape[-1], 1.0)
