"""LPIPS perceptual distance, VGG variant, version 0.1 (Zhang et al., CVPR 2018, Eq. 1).

d(x, y) = sum_l mean_hw || w_l * (f_l(x) - f_l(y)) ||^2, with f_l the
channel-unit-normalised VGG16 activations relu1_2, relu2_2, relu3_3, relu4_3,
relu5_3 and w_l the learned per-channel weights (``lin{l}.model.1.weight``,
1x1 conv without bias, shipped in the ``lpips`` wheel as
``lpips/weights/v0.1/vgg.pth``). Inputs go through lpips' ScalingLayer:
x in [-1, 1] -> (x - shift) / scale.
"""

import flax.linen as nn
import jax.numpy as jnp

from gazejax.nn.vgg import VGG16

LPIPS_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")
# lpips ScalingLayer constants (its ``shift``/``scale`` buffers).
SCALING_SHIFT = (-0.030, -0.088, -0.188)
SCALING_SCALE = (0.458, 0.448, 0.450)
_UNIT_EPS = 1e-10


def _unit_channels(x):
    return x / (jnp.sqrt(jnp.sum(x**2, axis=-1, keepdims=True)) + _UNIT_EPS)


class LPIPS(nn.Module):
    """Call: ``a``, ``b`` (N, H, W, 3) RGB in [0, 1] -> distance (N,)."""

    @nn.compact
    def __call__(self, a, b):
        vgg = VGG16(taps=LPIPS_LAYERS, name="vgg")
        shift, scale = jnp.asarray(SCALING_SHIFT), jnp.asarray(SCALING_SCALE)
        fa = vgg(((a * 2 - 1) - shift) / scale)
        fb = vgg(((b * 2 - 1) - shift) / scale)
        total = 0.0
        for i, layer in enumerate(LPIPS_LAYERS):
            diff = (_unit_channels(fa[layer]) - _unit_channels(fb[layer])) ** 2
            weighted = nn.Conv(1, (1, 1), use_bias=False, name=f"lin{i}")(diff)
            total = total + jnp.mean(weighted, axis=(1, 2, 3))
        return total
