"""Bilinear sampling identical to ``torch.nn.functional.grid_sample``.

Only the mode EG3D uses: ``mode='bilinear', padding_mode='zeros',
align_corners=False``. Grid coordinates in [-1, 1] span the outer *edges* of
the corner pixels, so ``x_pix = ((x + 1) * W - 1) / 2``; taps that fall
outside the image contribute zero (the weights are not renormalised).
"""

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
    n, h, w, c = images.shape
    pts = grid.shape[1:-1]
    g = grid.reshape(n, -1, 2)
    x = ((g[..., 0] + 1) * w - 1) / 2
    y = ((g[..., 1] + 1) * h - 1) / 2
    x0, y0 = jnp.floor(x), jnp.floor(y)
    fx, fy = x - x0, y - y0
    x0, y0 = x0.astype(jnp.int32), y0.astype(jnp.int32)
    flat = images.reshape(n, h * w, c)

    def tap(xi, yi, weight):
        inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        idx = jnp.clip(yi, 0, h - 1) * w + jnp.clip(xi, 0, w - 1)
        values = jnp.take_along_axis(flat, idx[..., None], axis=1)
        return values * jnp.where(inside, weight, 0.0)[..., None]

    out = (
        tap(x0, y0, (1 - fx) * (1 - fy))
        + tap(x0 + 1, y0, fx * (1 - fy))
        + tap(x0, y0 + 1, (1 - fx) * fy)
        + tap(x0 + 1, y0 + 1, fx * fy)
    )
    return out.reshape((n,) + pts + (c,))
