"""Dense flow-field warping with a bilinear sampler (DeepWarp; MGGR Eq. 2).

MGGR (Sec. 3.1, Eq. 2) warps the input eye patch by the decoder's flow:
``x~_b(i, j, c) = x_a{i + f(i, j, 1), j + f(i, j, 2), c}``, where ``{.}`` is
bilinear interpolation. :func:`flow_warp` is that sampler, differentiable in
both the image and the flow.
"""

import jax.numpy as jnp


def flow_warp(image, flow):
    """Backward-warps ``image`` by a dense per-pixel displacement field.

    Output pixel ``(i, j)`` reads the input at ``(i + flow[..., 0], j +
    flow[..., 1])`` (row first, as in MGGR Eq. 2), in pixels, with bilinear
    interpolation between the four neighbouring pixel centres.

    Border handling: sample positions are clamped to the image (the border
    pixels are replicated, like ``grid_sample(padding_mode='border',
    align_corners=True)``), so the output is always a convex combination of
    input pixels. Consequence: where a position is clamped, the gradient with
    respect to that flow component is zero.

    Args:
      image: (N, H, W, C) float.
      flow: (N, H, W, 2) float, (row, column) displacement in pixels.

    Returns:
      (N, H, W, C), same dtype as ``image``.
    """
    if image.ndim != 4 or flow.ndim != 4 or flow.shape[-1] != 2:
        raise ValueError(
            f"flow_warp wants image (N,H,W,C) and flow (N,H,W,2), "
            f"got {image.shape} and {flow.shape}"
        )
    if image.shape[:3] != flow.shape[:3]:
        raise ValueError(f"image {image.shape} and flow {flow.shape} differ in (N, H, W)")
    n, h, w, c = image.shape
    rows = jnp.arange(h, dtype=flow.dtype)[:, None] + flow[..., 0]
    cols = jnp.arange(w, dtype=flow.dtype)[None, :] + flow[..., 1]
    rows = jnp.clip(rows, 0.0, h - 1.0)
    cols = jnp.clip(cols, 0.0, w - 1.0)
    # floor() has zero derivative, so the flow gradient flows only through the
    # interpolation weights, which is what makes the sampler differentiable.
    r0 = jnp.floor(rows)
    c0 = jnp.floor(cols)
    wr = (rows - r0)[..., None]
    wc = (cols - c0)[..., None]
    r0 = r0.astype(jnp.int32)
    c0 = c0.astype(jnp.int32)
    r1 = jnp.minimum(r0 + 1, h - 1)
    c1 = jnp.minimum(c0 + 1, w - 1)

    flat = image.reshape(n, h * w, c)

    def gather(r, cc):
        index = (r * w + cc).reshape(n, h * w, 1)
        return jnp.take_along_axis(flat, index, axis=1).reshape(n, h, w, c)

    top = gather(r0, c0) * (1 - wc) + gather(r0, c1) * wc
    bottom = gather(r1, c0) * (1 - wc) + gather(r1, c1) * wc
    return (top * (1 - wr) + bottom * wr).astype(image.dtype)
