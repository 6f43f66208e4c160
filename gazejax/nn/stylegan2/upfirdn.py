"""FIR filtered up/down-sampling: StyleGAN2's ``upfirdn2d`` in NHWC.

``upfirdn2d`` = upsample by zero insertion, pad (negative pads crop), convolve
with a 2-D FIR filter, keep every ``down``-th pixel. Here the zero insertion
and the padding are one ``lax.pad`` (interior padding) and filtering plus
decimation is one depthwise ``lax.conv_general_dilated`` with stride ``down``.
"""

import numpy as np
from jax import lax
import jax.numpy as jnp

DEFAULT_FILTER = (1, 3, 3, 1)


def setup_filter(taps=DEFAULT_FILTER, gain=1.0):
    """Normalised 2-D filter ``(fh, fw)`` from 1-D taps (outer product, sum = gain).

    StyleGAN2's ``setup_filter`` keeps filters with fewer than 8 taps
    non-separable, which is what this returns.
    """
    f = np.asarray(taps, np.float32)
    if f.ndim == 1:
        f = np.outer(f, f)
    return f / f.sum() * gain


def upfirdn2d(x, f, up=1, down=1, padding=(0, 0, 0, 0), gain=1.0):
    """Upsample, pad, FIR-filter and downsample a batch of images.

    Args:
      x: ``(N, H, W, C)``.
      f: ``(fh, fw)`` filter (from :func:`setup_filter`).
      up, down: integer factors, applied to both axes.
      padding: ``(x0, x1, y0, y1)`` pixels added after upsampling (negative crops).
      gain: the filter is scaled by ``gain``.

    Returns:
      ``(N, H', W', C)`` with ``H' = (H*up + y0 + y1 - fh) // down + 1``.
    """
    x0, x1, y0, y1 = padding
    f = jnp.asarray(f, x.dtype) * gain
    # True convolution, as upfirdn2d's flip_filter=False (lax convs correlate).
    kernel = jnp.flip(f, (0, 1))[:, :, None, None]
    channels = x.shape[-1]
    kernel = jnp.tile(kernel, (1, 1, 1, channels))
    zero = jnp.zeros((), x.dtype)
    x = lax.pad(x, zero, ((0, 0, 0), (y0, y1 + up - 1, up - 1), (x0, x1 + up - 1, up - 1), (0, 0, 0)))
    return lax.conv_general_dilated(
        x,
        kernel,
        window_strides=(down, down),
        padding="VALID",
        dimension_numbers=("NHWC", "HWIO", "NHWC"),
        feature_group_count=channels,
    )


def upsample2d(x, f, up=2):
    """``(N, H, W, C)`` -> ``(N, H*up, W*up, C)``, low-pass filtered (StyleGAN2 ``upsample2d``)."""
    fh, fw = np.shape(f)
    pad = ((fw + up - 1) // 2, (fw - up) // 2, (fh + up - 1) // 2, (fh - up) // 2)
    return upfirdn2d(x, f, up=up, padding=pad, gain=up * up)


def downsample2d(x, f, down=2):
    """``(N, H, W, C)`` -> ``(N, H/down, W/down, C)``, low-pass filtered (StyleGAN2 ``downsample2d``)."""
    fh, fw = np.shape(f)
    pad = ((fw - down + 1) // 2, (fw - down) // 2, (fh - down + 1) // 2, (fh - down) // 2)
    return upfirdn2d(x, f, down=down, padding=pad)
