"""Image and gaze metrics for evaluation (all on float32 NHWC images in [0, 1]).

Masked variants average only over pixels where ``mask`` (N, H, W) or
(N, H, W, 1) is 1, which is how redirection results are compared inside the
face region. LPIPS lives with its network in :mod:`gazejax.models.lpips`, the
FID's and KID's feature extractor in :mod:`gazejax.models.fid_inception`.
"""

import jax
import jax.numpy as jnp
import numpy as np

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


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """Frechet distance of two Gaussians (Heusel et al., 2017, Eq. 6), in float64.

    ``||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``. The trace of the
    square root is taken as ``sum sqrt(eig(S1^(1/2) S2 S1^(1/2)))``: that
    matrix is similar to S1 S2 but symmetric, so two symmetric
    eigendecompositions replace a general matrix square root and no complex
    round-off arises.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    sigma1, sigma2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    w, v = np.linalg.eigh(sigma1)
    root1 = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    inner = np.linalg.eigvalsh(root1 @ sigma2 @ root1)
    trace_root = np.sum(np.sqrt(np.clip(inner, 0.0, None)))
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_root)


def frechet_inception_distance(features_a, features_b):
    """FID between two sets of Inception pool3 features, (Na, D) and (Nb, D).

    Each set is summarised by its mean and unbiased covariance. With fewer
    images than dimensions (2048) the covariances are rank-deficient and the
    value is biased upwards: compare FIDs only at equal set sizes.
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"FID needs two (N >= 2, D) feature sets of one width, got {a.shape} and {b.shape}")
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


# Kernel Inception Distance (Binkowski et al., "Demystifying MMD GANs", ICLR 2018): the squared MMD
# between two sets of Inception features under the polynomial kernel (x . y / d + 1)^3, estimated
# without bias and averaged over random subsets of equal size, as StyleGAN's and EG3D's metric (100
# subsets of at most 1000 features per set). Unlike FID it is unbiased, so small sets compare fairly;
# it can be slightly negative when the sets match.
def polynomial_kernel(a, b):
    """``(x . y / d + 1)^3`` of every row of ``a`` (n, d) with every row of ``b`` (m, d): ``(n, m)``."""
    return (a @ b.T / a.shape[1] + 1.0) ** 3


def unbiased_mmd2(x, y):
    """Unbiased MMD^2 of two equal-size sets ``(m, d)``: off-diagonal means within, full mean across."""
    m = len(x)
    within = polynomial_kernel(x, x), polynomial_kernel(y, y)
    off_diagonal = sum(k.sum() - np.trace(k) for k in within) / (m * (m - 1))
    return off_diagonal - 2.0 * polynomial_kernel(x, y).mean()


def kernel_inception_distance(features_a, features_b, num_subsets=100, subset_size=1000, seed=0):
    """KID of two feature sets ``(Na, D)``, ``(Nb, D)``: the mean of :func:`unbiased_mmd2` over subsets.

    Each subset draws ``min(subset_size, Na, Nb)`` rows of each set without
    replacement (``seed`` fixes the draws).
    """
    a, b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"KID needs two (N >= 2, D) feature sets of one width, got {a.shape} and {b.shape}")
    m = min(subset_size, len(a), len(b))
    rng = np.random.default_rng(seed)
    return float(np.mean([unbiased_mmd2(a[rng.choice(len(a), m, replace=False)],
                                        b[rng.choice(len(b), m, replace=False)]) for _ in range(num_subsets)]))
