"""Bilinear sampling identical to ``torch.nn.functional.grid_sample``.

Only the mode EG3D uses: ``mode='bilinear', padding_mode='zeros',
align_corners=False``. Grid coordinates in [-1, 1] span the outer *edges* of
the corner pixels, so ``x_pix = ((x + 1) * W - 1) / 2``; taps that fall
outside the image contribute zero (the weights are not renormalised).

The backward pass is written by hand (``jax.custom_vjp``): differentiating
the gathers lets XLA emit one scatter per tap plus a reduction over the
channels per tap, which on a CPU made the tri-plane render's forward+backward
slower than PyTorch's. Here the image gradient is a single scatter-add of all
four taps' rows into the flattened images, and the grid gradient contracts
the re-gathered taps with the output cotangent in one ``einsum`` (see
docs/performance.md). As with autodiff through ``floor``, the integer tap
positions carry no gradient: the grid gradient is the derivative of the
bilinear weights inside each pixel cell.
"""

import jax
import jax.numpy as jnp


def grid_sample(images, grid):
    """Samples ``images`` at ``grid`` points.

    Args:
      images: ``(N, H, W, C)``.
      grid: ``(N, ..., 2)`` with ``grid[..., 0]`` = x (indexes W) and
        ``grid[..., 1]`` = y (indexes H), both in [-1, 1] for in-image points.

    Returns:
      ``(N, ..., C)``.
    """
    if images.ndim != 4 or grid.shape[-1] != 2 or grid.shape[0] != images.shape[0]:
        raise ValueError(
            f"grid_sample needs images (N, H, W, C) and grid (N, ..., 2), got {images.shape} and {grid.shape}"
        )
    n, _, _, c = images.shape
    out = _bilinear(images, grid.reshape(n, -1, 2))
    return out.reshape(grid.shape[:-1] + (c,))


def _taps(grid, h, w):
    """The four bilinear taps of each point of ``grid`` ``(N, M, 2)``.

    Returns ``(index, weight, inside, fx, fy)``: ``index`` ``(N, M, 4)`` flat
    pixel indices ``y * W + x`` (clipped into the image) of the taps
    (x0, y0), (x0 + 1, y0), (x0, y0 + 1), (x0 + 1, y0 + 1); ``weight``
    ``(N, M, 4)`` their bilinear weights, zero for taps outside the image;
    ``inside`` ``(N, M, 4)`` float 1/0; ``fx, fy`` ``(N, M)`` the position
    inside the cell.
    """
    x = ((grid[..., 0] + 1) * w - 1) / 2
    y = ((grid[..., 1] + 1) * h - 1) / 2
    x0, y0 = jnp.floor(x), jnp.floor(y)
    fx, fy = x - x0, y - y0
    x0, y0 = x0.astype(jnp.int32), y0.astype(jnp.int32)
    xs = jnp.stack([x0, x0 + 1, x0, x0 + 1], axis=-1)
    ys = jnp.stack([y0, y0, y0 + 1, y0 + 1], axis=-1)
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    index = jnp.clip(ys, 0, h - 1) * w + jnp.clip(xs, 0, w - 1)
    bilinear = jnp.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], axis=-1)
    return index, jnp.where(inside, bilinear, 0.0), inside.astype(grid.dtype), fx, fy


def _gather_taps(images, index):
    """``(N, M, 4, C)`` pixel rows of ``images`` ``(N, H, W, C)`` at ``index`` ``(N, M, 4)``."""
    n, h, w, c = images.shape
    m = index.shape[1]
    # the indices are clipped into the image: no bounds checks or fill values
    rows = jnp.take_along_axis(images.reshape(n, h * w, c), index.reshape(n, m * 4, 1), axis=1,
                               mode="promise_in_bounds")
    return rows.reshape(n, m, 4, c)


@jax.custom_vjp
def _bilinear(images, grid):
    """``(N, H, W, C)`` images at ``(N, M, 2)`` grid points -> ``(N, M, C)``."""
    _, h, w, _ = images.shape
    index, weight, _, _, _ = _taps(grid, h, w)
    values = _gather_taps(images, index)
    # Tap by tap in a fixed order, so the forward values do not depend on how
    # XLA would order a reduction over the tap axis.
    return sum(values[:, :, k] * weight[:, :, k, None] for k in range(4))


def _bilinear_fwd(images, grid):
    # Only the inputs are kept: re-gathering the taps in the backward pass is
    # cheaper than storing four feature rows per point.
    return _bilinear(images, grid), (images, grid)


def _bilinear_bwd(residuals, cotangent):
    images, grid = residuals
    n, h, w, c = images.shape
    m = grid.shape[1]
    index, weight, inside, fx, fy = _taps(grid, h, w)

    # d grid: s_k = <tap k's features, cotangent> for the taps inside the image.
    s = jnp.einsum("nmkc,nmc->nmk", _gather_taps(images, index), cotangent,
                   precision=jax.lax.Precision.HIGHEST) * inside
    d_fx = (1 - fy) * (s[..., 1] - s[..., 0]) + fy * (s[..., 3] - s[..., 2])
    d_fy = (1 - fx) * (s[..., 2] - s[..., 0]) + fx * (s[..., 3] - s[..., 1])
    d_grid = jnp.stack([d_fx * (w / 2), d_fy * (h / 2)], axis=-1).astype(grid.dtype)

    # d images: every tap's weighted cotangent row, added into one flat
    # (N*H*W, C) buffer by a single scatter over globally numbered pixels.
    pixel = index + (jnp.arange(n, dtype=index.dtype) * (h * w))[:, None, None]
    # Materialise the weights and the cotangent first: fused into the rows
    # below, their producers (tap masks, the transpose of the caller's sum
    # over planes) would be re-evaluated for each of the C channels.
    weight, cotangent = jax.lax.optimization_barrier((weight, cotangent))
    rows = (weight[..., None] * cotangent[:, :, None, :]).reshape(n * m * 4, c)
    # float32 sums whatever the planes' dtype: many taps land on each texel
    d_images = jnp.zeros((n * h * w, c), jnp.float32).at[pixel.reshape(-1)].add(
        rows.astype(jnp.float32), mode="promise_in_bounds")
    return d_images.reshape(images.shape).astype(images.dtype), d_grid


_bilinear.defvjp(_bilinear_fwd, _bilinear_bwd)
