"""EG3D's tri-plane backbone: a StyleGAN2 'skip' synthesis network (``StyleGAN2Backbone``).

``ws (N, num_ws, w_dim) -> (N, R, R, img_channels)``; EG3D FFHQ draws
``R = 256`` and ``img_channels = 96`` (three 32-channel planes). One
:class:`~gazejax.nn.stylegan2.SynthesisBlock` per resolution 4, 8, ..., R
with ``min(channel_base // res, channel_max)`` channels; block ``b4`` reads
ws[0:2], each later block three ws starting where the previous block's
convolutions stopped (its toRGB w is shared with the next block's first
conv), so ``num_ws = 2 log2(R) - 2`` (14 at 256).

State-dict mapping (``backbone.synthesis.`` prefix): ``b{res}.*`` ->
``synthesis/b{res}/...`` as in :mod:`gazejax.nn.stylegan2.synthesis`.
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp
import numpy as np

from gazejax.nn.stylegan2 import SynthesisBlock


def block_resolutions(resolution):
    """4, 8, ..., resolution."""
    return [2 ** i for i in range(2, int(np.log2(resolution)) + 1)]


def block_channels(resolution, channel_base, channel_max):
    """{res: channels} of every block, StyleGAN2's ``min(channel_base // res, channel_max)``."""
    return {res: min(channel_base // res, channel_max) for res in block_resolutions(resolution)}


def num_ws(resolution):
    """Number of ws the synthesis network reads: one per conv plus the last toRGB."""
    return 2 * len(block_resolutions(resolution))


class SynthesisNetwork(nn.Module):
    """``ws (N, num_ws, w_dim) -> (N, resolution, resolution, img_channels)``.

    Attributes:
      resolution: output side R (a power of two >= 4).
      img_channels: output channels (EG3D: 96).
      channel_base, channel_max: StyleGAN2 channel rule (EG3D: 32768, 512).
      conv_clamp: clamp of every conv output, None = none (EG3D's backbone runs fp32 unclamped).
      dtype: compute dtype of the convolutions (parameters stay float32).
    """

    resolution: int
    img_channels: int
    channel_base: int = 32768
    channel_max: int = 512
    conv_clamp: float | None = None
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, ws, noise_mode="random"):
        if ws.ndim != 3 or ws.shape[1] != num_ws(self.resolution):
            raise ValueError(f"synthesis network expects ws (N, {num_ws(self.resolution)}, w_dim), got {ws.shape}")
        channels = block_channels(self.resolution, self.channel_base, self.channel_max)
        x = img = None
        w_index = 0
        for res in block_resolutions(self.resolution):
            in_channels = channels[res // 2] if res > 4 else 0
            block = SynthesisBlock(in_channels, channels[res], res, img_channels=self.img_channels,
                                   conv_clamp=self.conv_clamp, dtype=self.dtype, name=f"b{res}")
            n_conv = block.num_ws - 1
            x, img = block(x, img, ws[:, w_index:w_index + n_conv + 1], noise_mode)
            w_index += n_conv
        return img
