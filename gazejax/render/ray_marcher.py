"""Volume compositing along rays: EG3D's ``MipRayMarcher2`` (NeRF Eq. 3, midpoint rule).

For samples ``t_0..t_{S-1}`` the S-1 intervals use midpoint colours,
densities and depths; ``sigma = softplus(sigma_mid - 1)`` (EG3D's activation
bias), ``alpha_i = 1 - exp(-sigma_i * delta_i)``,
``T_i = prod_{j<i} (1 - alpha_j + 1e-10)``, ``w_i = alpha_i * T_i``.

Two deliberate differences from EG3D, both documented where used:

- colours are returned in the field's own range (gazejax images are [0, 1]);
  EG3D then maps them to [-1, 1] with ``x * 2 - 1`` (the model does that);
- a ray whose weights sum to zero gets depth = its own farthest sample; EG3D
  clamps to the min/max depth of the whole batch tensor, which would make a
  chunked render depend on the chunk size. Every other ray's weighted-mean
  depth already lies within its own range, so the two agree there.
"""

import jax
import jax.numpy as jnp

from gazejax.nn.softplus import softplus

# EG3D's 'softplus' clamp mode: sigma = softplus(raw - 1), which makes
# freshly initialised fields start nearly transparent.
DENSITY_BIAS = -1.0


def composite(colors, densities, depths, white_background=False, rank=None):
    """Composites samples along each ray.

    Args:
      colors: ``(..., S, C)`` per-sample colours/features.
      densities: ``(..., S, 1)`` raw densities (before softplus).
      depths: ``(..., S)`` sample depths, sorted unless ``rank`` is given.
      white_background: add ``1 - sum(w)`` (EG3D ``white_back``).
      rank: ``(..., S)`` int, each sample's place in depth order
        (:func:`gazejax.render.ray_sampling.depth_ranks`), for samples in
        any order; None: the samples are sorted.

    Returns:
      dict with ``rgb`` ``(..., C)``, ``depth`` ``(..., 1)``,
      ``weights`` ``(..., S - 1)`` (of the intervals in depth order) and
      ``opacity`` ``(..., 1)`` (sum of weights).
    """
    if rank is not None:
        # Only the depths and densities are put in depth order; the colours stay
        # where they are and the per-sample weights move back to them below, so
        # that neither direction moves S x C features (a gather forward, a
        # scatter backward).
        order = _inverse_permutation(rank)
        depths = jnp.take_along_axis(depths, order, axis=-1, mode="promise_in_bounds")
        densities = jnp.take_along_axis(densities, order[..., None], axis=-2, mode="promise_in_bounds")
    deltas = depths[..., 1:] - depths[..., :-1]
    sigma_mid = 0.5 * (densities[..., :-1, 0] + densities[..., 1:, 0])
    depths_mid = 0.5 * (depths[..., :-1] + depths[..., 1:])
    sigma = softplus(sigma_mid + DENSITY_BIAS)
    alpha = 1.0 - jnp.exp(-sigma * deltas)
    transmittance = jnp.cumprod(1.0 - alpha + 1e-10, axis=-1)
    transmittance = jnp.concatenate([jnp.ones_like(alpha[..., :1]), transmittance[..., :-1]], axis=-1)
    weights = alpha * transmittance
    opacity = jnp.sum(weights, axis=-1, keepdims=True)
    # sum_i w_i (c_i + c_{i+1}) / 2 regrouped per sample, as one contraction over the
    # samples: this avoids materialising midpoint colours, and XLA:CPU reduces a
    # middle axis (sum(..., axis=-2)) many times slower than it contracts one.
    zero = jnp.zeros_like(weights[..., :1])
    sample_weights = 0.5 * (jnp.concatenate([weights, zero], -1) + jnp.concatenate([zero, weights], -1))
    if rank is not None:
        sample_weights = jnp.take_along_axis(sample_weights, rank, axis=-1, mode="promise_in_bounds")
    rgb = jnp.einsum("...s,...sc->...c", sample_weights, colors, precision=jax.lax.Precision.HIGHEST)
    near = jnp.min(depths, axis=-1, keepdims=True)
    far = jnp.max(depths, axis=-1, keepdims=True)
    # The guarded divide keeps gradients finite on empty rays (0/0).
    seen = opacity > 0
    depth = jnp.sum(weights * depths_mid, axis=-1, keepdims=True) / jnp.where(seen, opacity, 1.0)
    depth = jnp.clip(jnp.where(seen, depth, far), near, far)
    if white_background:
        rgb = rgb + 1.0 - opacity
    return dict(rgb=rgb, depth=depth, weights=weights, opacity=opacity)


def _inverse_permutation(rank):
    """``order`` with ``order[..., rank[..., k]] = k``, by counting (XLA:CPU scatters slowly).

    One term per sample, summed, as in ``depth_ranks``: no ``(..., S, S)`` array.
    """
    position = jnp.arange(rank.shape[-1], dtype=rank.dtype)
    order = jnp.zeros_like(rank)
    for k in range(rank.shape[-1]):
        order += jnp.where(rank[..., k:k + 1] == position, k, 0).astype(rank.dtype)
    return order
