"""Image and gaze metrics for evaluation (all on float32 NHWC images in [0, 1]).

Masked variants average only over pixels where ``mask`` (N, H, W) or
(N, H, W, 1) is 1, which is how redirection results are compared inside the
face region. LPIPS lives with its network in :mod:`gazejax.models.lpips`.
"""

import jax
import jax.numpy as jnp

from gazejax.geometry import angular_error


def _mask4(mask, image):
    if mask is None:
        return jnp.ones(image.shape[:-1] + (1,), image.dtype)
    mask = jnp.asarray(mask, image.dtype)
    return mask[..., None] if mask.ndim == image.ndim - 1 else mask


def psnr(pred, target, mask=None):
    """Peak signal-to-noise ratio in dB per image ``(N,)`` (data range 1)."""
    m = _mask4(mask, pred)
    se = jnp.sum(m * (pred - target) ** 2, axis=(1, 2, 3))
    count = jnp.maximum(jnp.sum(m, axis=(1, 2, 3)) * pred.shape[-1], 1.0)
    return -10.0 * jnp.log10(jnp.maximum(se / count, 1e-10))


def _gaussian_window(size=11, sigma=1.5):
    x = jnp.arange(size, dtype=jnp.float32) - (size - 1) / 2
    g = jnp.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def _blur(x, window):
    """Separable 'valid' Gaussian filter over H and W of (N, H, W, C)."""
    c = x.shape[-1]
    k = window.size
    kh = jnp.tile(window.reshape(k, 1, 1, 1), (1, 1, 1, c))
    kw = jnp.tile(window.reshape(1, k, 1, 1), (1, 1, 1, c))
    dn = ("NHWC", "HWIO", "NHWC")
    x = jax.lax.conv_general_dilated(x, kh, (1, 1), "VALID", dimension_numbers=dn, feature_group_count=c)
    return jax.lax.conv_general_dilated(x, kw, (1, 1), "VALID", dimension_numbers=dn, feature_group_count=c)


def ssim(pred, target, mask=None):
    """Structural similarity per image ``(N,)`` (Wang et al. 2004).

    11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, data range 1,
    'valid' windows; with a mask, the SSIM map is averaged over windows whose
    centre pixel is inside the mask.
    """
    w = _gaussian_window()
    c1, c2 = 0.01**2, 0.03**2
    mu_x, mu_y = _blur(pred, w), _blur(target, w)
    sxx = _blur(pred * pred, w) - mu_x**2
    syy = _blur(target * target, w) - mu_y**2
    sxy = _blur(pred * target, w) - mu_x * mu_y
    smap = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x**2 + mu_y**2 + c1) * (sxx + syy + c2))
    smap = smap.mean(-1)
    if mask is None:
        return smap.mean((1, 2))
    half = (w.size - 1) // 2
    m = _mask4(mask, pred)[:, half:-half, half:-half, 0]
    return jnp.sum(smap * m, (1, 2)) / jnp.maximum(jnp.sum(m, (1, 2)), 1.0)


def mean_angular_error(pred, target):
    """Mean angle in degrees between (pitch, yaw) arrays ``(N, 2)``."""
    return jnp.mean(angular_error(pred, target))
