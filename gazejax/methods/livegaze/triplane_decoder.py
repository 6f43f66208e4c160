"""E_tri: the ViT tri-plane decoder, ``T_g = E_tri(F_app, F_geo)`` (LiveGaze paper Eq. 3).

Live3D's ``EncoderFinal``, with the sizes of its public reimplementation
(Live3DPortrait):

- normal (features at R/2): cat(F_app, F_geo) -> conv3 ``wide`` -> conv3
  ``mid`` -> OverlapPatchEmbed(7, stride 2) to R/4 tokens -> one SegFormer
  block (spatial reduction ``sr_ratio``) -> pixel shuffle x2 (R/2,
  ``token_dim/4`` ch) -> cat F_geo -> conv3 ``wide``, ``mid``, ``mid``, then
  ``3 * triplane_channels``.
- lite (features at R/4): cat -> conv3 ``wide`` -> patch embed (R/8 tokens)
  -> block -> pixel shuffle (R/4) -> conv3 ``wide`` -> bilinear x2 (R/2) ->
  conv3 ``mid``, ``mid``, ``3C``, ``3C``.

LeakyReLU(0.01) follows every conv but the last (the reference lists the
widths, not the activations; this is our reading). Output: tri-plane
``(N, 3, R/2, R/2, triplane_channels)`` in EG3D's plane order.
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from gazejax.methods.livegaze.encoders import conv, leaky_relu, upsample2x
from gazejax.nn.pixel_shuffle import pixel_shuffle
from gazejax.nn.segformer import OverlapPatchEmbed, make_block
from gazejax.render.triplane import planes_from_channels


class TriplaneDecoder(nn.Module):
    """``F_app, F_geo (N, h, h, C)`` -> tri-plane ``(N, 3, R/2, R/2, triplane_channels)``."""

    triplane_channels: int = 32
    wide_channels: int = 256
    mid_channels: int = 128
    token_dim: int = 1024
    heads: int = 2
    mlp_ratio: float = 2.0
    sr_ratio: int = 2
    lite: bool = False
    remat: bool = False  # recompute the ViT block in the backward pass
    query_chunk: int | None = None  # queries attended at a time (None = all)
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, appearance, geometry):
        x = leaky_relu(conv(self.wide_channels, name="convs_0", dtype=self.dtype)(jnp.concatenate([appearance, geometry], -1)))
        if not self.lite:
            x = leaky_relu(conv(self.mid_channels, name="convs_1", dtype=self.dtype)(x))
        tokens, hw = OverlapPatchEmbed(self.token_dim, 7, 2, name="patch_embed", dtype=self.dtype)(x)
        tokens = make_block(self.remat, num_heads=self.heads, mlp_ratio=self.mlp_ratio, sr_ratio=self.sr_ratio,
                            query_chunk=self.query_chunk, name="block", dtype=self.dtype)(tokens, hw)
        x = pixel_shuffle(tokens.reshape(x.shape[0], hw[0], hw[1], self.token_dim), 2)
        out = 3 * self.triplane_channels
        if self.lite:
            x = upsample2x(leaky_relu(conv(self.wide_channels, name="out_0", dtype=self.dtype)(x)))
            widths = {"out_1": self.mid_channels, "out_2": self.mid_channels, "out_3": out, "out_4": out}
        else:
            x = jnp.concatenate([x, geometry], -1)
            widths = {"out_0": self.wide_channels, "out_1": self.mid_channels, "out_2": self.mid_channels,
                      "out_3": out}
        for i, (name, width) in enumerate(widths.items()):
            x = conv(width, name=name, dtype=self.dtype)(x)
            if i < len(widths) - 1:
                x = leaky_relu(x)
        return planes_from_channels(x)
