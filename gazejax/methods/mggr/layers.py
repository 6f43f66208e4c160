"""Convolution blocks shared by MGGR's encoder-decoder and generator.

The paper gives no layer-level architecture; these follow PRGAN (its baseline
and the source of its data protocol): convolutions followed by instance
normalisation and ReLU, NHWC.
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp


class ConvNormRelu(nn.Module):
    """Conv -> InstanceNorm -> ReLU.

    Attributes:
      features: output channels.
      kernel: square kernel size.
      stride: 1, or 2 to halve H and W (needs even H, W).
      dtype: compute dtype (parameters stay float32).

    Call: (N, H, W, C) -> (N, H / stride, W / stride, features).
    """

    features: int
    kernel: int = 3
    stride: int = 1
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        # Explicit symmetric padding: 'SAME' pads asymmetrically at stride 2.
        pad = (self.kernel - self.stride + 1) // 2
        x = nn.Conv(
            self.features, (self.kernel, self.kernel), strides=self.stride,
            padding=((pad, pad), (pad, pad)), use_bias=False, dtype=self.dtype,
        )(x)
        return nn.relu(nn.InstanceNorm(dtype=self.dtype)(x))


class UpConvNormRelu(nn.Module):
    """Nearest-neighbour x2 upsampling, then :class:`ConvNormRelu` (3x3).

    Resize-then-convolve instead of a transposed convolution, which avoids
    checkerboard artefacts in the flow field.

    Call: (N, H, W, C) -> (N, 2H, 2W, features).
    """

    features: int
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        n, h, w, c = x.shape
        x = jax.image.resize(x, (n, 2 * h, 2 * w, c), method="nearest")
        return ConvNormRelu(self.features, dtype=self.dtype)(x)


def tile(vector, height, width):
    """(N, K) -> (N, height, width, K): a per-sample condition broadcast over pixels."""
    n, k = vector.shape
    return jnp.broadcast_to(vector[:, None, None, :], (n, height, width, k))
