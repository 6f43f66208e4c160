"""EG3D's two-pass volume renderer (``ImportanceRenderer``; EG3D §4, NeRF §5.2), over any field.

Coarse pass: ``n_coarse`` stratified depths per ray, evaluated by the field and
composited; fine pass: ``n_fine`` depths drawn by inverse CDF from the
smoothed coarse weights, evaluated, merged with the coarse samples and
composited again in depth order (:func:`gazejax.render.ray_marcher.composite`).

The field is any ``field_fn(points (N, M, 3), dirs (N, M, 3)) -> (features
(N, M, C), sigma (N, M, 1))``; :func:`triplane_field` builds EG3D's (tri-plane
+ OSG decoder). EG3D FFHQ settings: ``ray_start=2.25, ray_end=3.3,
n_coarse=48, n_fine=48`` and ``box_warp=1`` in the field.

Randomness: with a ``key``, the stratified jitter and the importance uniforms
are drawn once for all rays (so results do not depend on ``chunk_rays``);
with ``key=None`` the render is deterministic: jitter 0.5 (the middle of each
stratum) and importance uniforms at the stratum midpoints ``(i + 0.5) / n``.
EG3D jitters at inference too, so pass a key to reproduce its statistics.

Memory: ``chunk_rays`` renders that many rays at a time (``lax.map`` over
chunks, each chunk rematerialised in the backward pass), so a 512^2 render
or a training step at high resolution fits; results equal the unchunked
render.
"""

import jax
import jax.numpy as jnp

from gazejax.nn.chunks import from_chunks, to_chunks
from gazejax.render.ray_marcher import composite
from gazejax.render.ray_sampling import auto_ray_limits, depth_ranks, importance_depths, stratified_depths
from gazejax.render.triplane import sample_triplane


def triplane_field(decoder, decoder_variables, planes, box_warp, plane_by_plane=False):
    """EG3D's field: mean tri-plane features at the points, through the OSG decoder.

    Args:
      decoder: an :class:`~gazejax.render.osg_decoder.OSGDecoder` (or any module
        mapping ``(N, M, C)`` features to ``(rgb, sigma)``).
      decoder_variables: its variables.
      planes: ``(N, 3, H, W, C)`` tri-planes.
      box_warp: side of the cube the planes cover.
      plane_by_plane: sample the planes in a loop (for planes computed in the
        same jitted function; see :func:`~gazejax.render.triplane.sample_triplane`).

    Returns:
      ``field_fn(points, dirs) -> (features, sigma)``; dirs are unused.
    """

    def field_fn(points, dirs):
        del dirs  # EG3D's decoder is view-independent.
        return decoder.apply(decoder_variables, sample_triplane(planes, points, box_warp, plane_by_plane))

    return field_fn


def _check_inputs(origins, dirs, ray_start, ray_end, n_coarse, n_fine, box_side, chunk_rays):
    if origins.ndim != 3 or origins.shape[-1] != 3 or dirs.shape != origins.shape:
        raise ValueError(
            f"render: origins and dirs must both be (N, R, 3), got {origins.shape} and {dirs.shape}"
        )
    if n_coarse < 2 or n_fine < 0:
        raise ValueError(f"render: need n_coarse >= 2 and n_fine >= 0, got {n_coarse}, {n_fine}")
    auto = (ray_start == "auto", ray_end == "auto")
    if any(auto) and not all(auto):
        raise ValueError("render: ray_start and ray_end must both be 'auto' or both numbers")
    if all(auto) and box_side is None:
        raise ValueError("render: ray_start='auto' needs box_side (EG3D uses box_warp)")
    if not any(auto) and not float(ray_start) < float(ray_end):
        raise ValueError(f"render: need ray_start < ray_end, got {ray_start} and {ray_end}")
    if chunk_rays is not None and chunk_rays < 1:
        raise ValueError(f"render: chunk_rays must be positive, got {chunk_rays}")


def _uniform_draws(key, rays_shape, n_coarse, n_fine, dtype):
    """``(jitter (N, R, n_coarse), u (N, R, n_fine))``; stratum midpoints when ``key`` is None."""
    if key is None:
        jitter = jnp.full(rays_shape + (n_coarse,), 0.5, dtype)
        u = (jnp.arange(n_fine, dtype=dtype) + 0.5) / max(n_fine, 1)
        return jitter, jnp.broadcast_to(u, rays_shape + (n_fine,))
    k_jitter, k_u = jax.random.split(key)
    return (jax.random.uniform(k_jitter, rays_shape + (n_coarse,), dtype),
            jax.random.uniform(k_u, rays_shape + (n_fine,), dtype))


def render(field_fn, origins, dirs, key, *, ray_start, ray_end, n_coarse, n_fine,
           box_side=None, white_background=False, chunk_rays=None):
    """Renders rays through a density/feature field (coarse + importance passes).

    Args:
      field_fn: ``(points (N, M, 3), dirs (N, M, 3)) -> (features (N, M, C), sigma (N, M, 1))``.
      origins, dirs: ``(N, R, 3)`` rays (unit dirs, e.g. from ``gazejax.geometry.eg3d_rays``).
      key: ``jax.random`` key, or None for the deterministic mode (module docstring).
      ray_start, ray_end: near/far depth, or both ``'auto'`` (ray-box intersection).
      n_coarse: stratified samples per ray (>= 2).
      n_fine: importance samples per ray (0 = single pass).
      box_side: cube side for ``'auto'``.
      white_background: composite over white (EG3D ``white_back``).
      chunk_rays: rays per chunk, None = all at once.

    Returns:
      dict: ``rgb`` ``(N, R, C)`` composited features in the field's range,
      ``depth`` ``(N, R, 1)``, ``opacity`` ``(N, R, 1)``.
    """
    _check_inputs(origins, dirs, ray_start, ray_end, n_coarse, n_fine, box_side, chunk_rays)
    n, r, _ = origins.shape
    if ray_start == "auto":
        start, end = auto_ray_limits(origins, dirs, box_side)
    else:
        start = jnp.full((n, r), ray_start, origins.dtype)
        end = jnp.full((n, r), ray_end, origins.dtype)
    jitter, u = _uniform_draws(key, (n, r), n_coarse, n_fine, origins.dtype)
    per_ray = (origins, dirs, start, end, jitter, u)

    def render_chunk(args):
        return _render_rays(field_fn, *args, n_fine=n_fine, white_background=white_background)

    if chunk_rays is None or chunk_rays >= r:
        return render_chunk(per_ray)
    out = jax.lax.map(jax.checkpoint(render_chunk), tuple(to_chunks(a, chunk_rays) for a in per_ray))
    return jax.tree_util.tree_map(lambda a: from_chunks(a, r), out)


def _eval_field(field_fn, origins, dirs, depths):
    """Field at ``origins + depths * dirs``: ``(N, r, S, C)``, ``(N, r, S, 1)``."""
    n, r, s = depths.shape
    points = origins[:, :, None, :] + depths[..., None] * dirs[:, :, None, :]
    sample_dirs = jnp.broadcast_to(dirs[:, :, None, :], points.shape)
    features, sigma = field_fn(points.reshape(n, r * s, 3), sample_dirs.reshape(n, r * s, 3))
    return features.reshape(n, r, s, -1), sigma.reshape(n, r, s, 1)


def _render_rays(field_fn, origins, dirs, start, end, jitter, u, *, n_fine, white_background):
    depths = stratified_depths(start, end, jitter.shape[-1], jitter)
    features, sigma = _eval_field(field_fn, origins, dirs, depths)
    if n_fine == 0:
        out = composite(features, sigma, depths, white_background)
    else:
        coarse = composite(features, sigma, depths)
        fine_depths = importance_depths(depths, coarse["weights"], u)
        fine_features, fine_sigma = _eval_field(field_fn, origins, dirs, fine_depths)
        # the merged samples in depth order (EG3D sorts them): ranks, not a sort
        depths = jnp.concatenate([depths, fine_depths], axis=-1)
        out = composite(jnp.concatenate([features, fine_features], -2), jnp.concatenate([sigma, fine_sigma], -2),
                        depths, white_background, rank=depth_ranks(depths))
    return dict(rgb=out["rgb"], depth=out["depth"], opacity=out["opacity"])
