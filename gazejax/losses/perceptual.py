"""Perceptual (VGG feature), Gram/style and LPIPS losses.

Feature dicts come from ``gazejax.models.perceptual.VGGFeatures``; layers and
weights are the caller's (configs hold the numbers).
"""

import jax.numpy as jnp


def perceptual_loss(features_a, features_b, layers, weights):
    """Sum over layers of weight * mean |f_a - f_b| (GazeNeRF's VGG loss, its paper's Eq. 7).

    Args:
      features_a, features_b: {layer: (N, h, w, C)}.
      layers, weights: equally long sequences of layer names and floats.
    Returns: scalar.
    """
    _check(layers, weights)
    return sum(w * jnp.mean(jnp.abs(features_a[l] - features_b[l])) for l, w in zip(layers, weights))


def gram_matrix(features):
    """(N, h, w, C) -> (N, C, C) Gram matrix divided by h*w*C (PRGAN's style loss)."""
    n, h, w, c = features.shape
    flat = features.reshape(n, h * w, c)
    return jnp.einsum("npc,npd->ncd", flat, flat) / (h * w * c)


def gram_style_loss(features_a, features_b, layers, weights):
    """Sum over layers of weight * mean squared difference of Gram matrices. Scalar."""
    _check(layers, weights)
    return sum(
        w * jnp.mean((gram_matrix(features_a[l]) - gram_matrix(features_b[l])) ** 2)
        for l, w in zip(layers, weights)
    )


def lpips_loss(lpips, a, b):
    """Mean LPIPS distance; ``lpips(a, b) -> (N,)`` is e.g. ``partial(LPIPS().apply, variables)``."""
    return jnp.mean(lpips(a, b))


def _check(layers, weights):
    if len(layers) != len(weights) or not layers:
        raise ValueError(f"need one weight per layer, got layers={list(layers)} weights={list(weights)}")
