"""The HeadNeRF/GazeNeRF neural renderer: a feature map -> an RGB image.

GazeNeRF paper Sec. 3.2 "Rendering images" (the module pi_omega, shared by
the face-only, eyes and whole-face images); the GazeNeRF reference's
``models/neural_renderer.py`` + ``pixel_shuffle_upsample.py``, the same as
HeadNeRF's. Every 1x1 convolution is a Dense layer on
channels-last data. Parameter names follow the reference's state_dict keys
(``feat_upsample_list.0.layer_1`` -> ``feat_upsample_list_0/layer_1``).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

_LEAK = 0.2


def blur(x):
    """[1, 2, 1] x [1, 2, 1] / 16 blur of ``(N, H, W, C)``, reflect border (kornia filter2d)."""
    k = jnp.array([1.0, 2.0, 1.0]) / 4.0
    x = jnp.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="reflect")
    x = k[0] * x[:, :-2] + k[1] * x[:, 1:-1] + k[2] * x[:, 2:]
    return k[0] * x[:, :, :-2] + k[1] * x[:, :, 1:-1] + k[2] * x[:, :, 2:]


def pixel_shuffle(x, factor=2):
    """Channels -> space, ``(N, H, W, C*f*f)`` -> ``(N, H*f, W*f, C)``.

    Same channel order as ``torch.nn.functional.pixel_shuffle`` on NCHW:
    output channel c at sub-pixel (i, j) is input channel ``c*f*f + i*f + j``.
    """
    n, h, w, c = x.shape
    x = x.reshape(n, h, w, c // factor**2, factor, factor)
    return x.transpose(0, 1, 4, 2, 5, 3).reshape(n, h * factor, w * factor, c // factor**2)


def upsample_rgb(x):
    """Bilinear x2 (``align_corners=False``) followed by :func:`blur`."""
    n, h, w, c = x.shape
    return blur(jax.image.resize(x, (n, 2 * h, 2 * w, c), "linear", antialias=False))


class PixelShuffleUpsample(nn.Module):
    """One x2 block: ``(N, H, W, C)`` -> ``(N, 2H, 2W, C)``.

    ``shuffle(act(W2 act(W1 x)) + tile(x, 4)) -> blur``; the channel tiling
    is ``x.repeat(1, 4, 1, 1)`` of the reference (whole copies of C).
    """

    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        c = x.shape[-1]
        out = nn.leaky_relu(nn.Dense(2 * c, name="layer_1", dtype=self.dtype)(x), _LEAK)
        out = nn.leaky_relu(nn.Dense(4 * c, name="layer_2", dtype=self.dtype)(out), _LEAK)
        return blur(pixel_shuffle(out + jnp.tile(x, (1, 1, 1, 4))))


class NeuralRenderer(nn.Module):
    """Feature map ``(N, F, F, C)`` -> image ``(N, F*2^B, F*2^B, 3)`` in [0, 1].

    Channels halve per block (``max(C // 2^i, min_channels)``): 258 -> 129 ->
    64 -> 32 for GazeNeRF's 64^2 -> 512^2. An RGB skip path sums 1x1
    projections of every scale, upsampled bilinearly; a final sigmoid.

    Attributes:
      num_blocks: number of x2 blocks B (GazeNeRF: log2(512 / 64) = 3).
      min_channels: channel floor (32).
    """

    num_blocks: int = 3
    min_channels: int = 32
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        channels = x.shape[-1]
        width = lambda i: max(channels // 2**i, self.min_channels)  # noqa: E731
        rgb = upsample_rgb(nn.Dense(3, name="feat_2_rgb_list_0", dtype=self.dtype)(x))
        net = x
        for i in range(self.num_blocks):
            net = PixelShuffleUpsample(name=f"feat_upsample_list_{i}", dtype=self.dtype)(net)
            layer = nn.Dense(width(i + 1), dtype=self.dtype, name=f"feat_layers_{i}")
            net = nn.leaky_relu(layer(net), _LEAK)
            rgb = rgb + nn.Dense(3, name=f"feat_2_rgb_list_{i + 1}", dtype=self.dtype)(net)
            if i < self.num_blocks - 1:
                rgb = upsample_rgb(rgb)
        return jax.nn.sigmoid(rgb.astype(jnp.float32))
