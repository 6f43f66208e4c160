"""Image + gaze prompt -> gaze-conditioned tri-plane (LiveGaze paper Eqs. 1-3).

``F_h = E_h(I)``, ``F_geo = E_l(I)``, ``F_app = CrossAttention(F_h, E_g(g))``,
``T_g = E_tri(F_app, F_geo)``. The encoder input is Live3D's: RGB mapped to
[-1, 1] plus two raw pixel-index channels (column, row), 0..R-1, unnormalised
as in Live3D's public reimplementation (Live3DPortrait); small configs may
normalise them instead.
"""

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from gazejax.methods.livegaze.encoders import HighFrequencyEncoder, LowFrequencyEncoder
from gazejax.methods.livegaze.fusion import GazeFusion
from gazejax.methods.livegaze.gaze_encoder import GazeEncoder
from gazejax.methods.livegaze.triplane_decoder import TriplaneDecoder


def encoder_input(images, normalized_coordinates=False):
    """``(N, R, R, 3)`` in [0, 1] -> ``(N, R, R, 5)``: RGB in [-1, 1], pixel column, pixel row.

    Coordinates are raw indices 0..R-1 (Live3D), or with
    ``normalized_coordinates`` pixel centres in [-1, 1]: raw indices make the
    first conv's response to position ~R/2 times larger than to colour at
    init, which slows small, short training runs.
    """
    n, h, w, _ = images.shape
    rows, cols = jnp.meshgrid(jnp.arange(h, dtype=jnp.float32), jnp.arange(w, dtype=jnp.float32), indexing="ij")
    if normalized_coordinates:
        rows, cols = (rows + 0.5) / h * 2.0 - 1.0, (cols + 0.5) / w * 2.0 - 1.0
    grid = jnp.broadcast_to(jnp.stack([cols, rows], -1), (n, h, w, 2))
    return jnp.concatenate([images * 2.0 - 1.0, grid], axis=-1)


class TriplaneEncoder(nn.Module):
    """``images (N, R, R, 3)`` in [0, 1], ``gaze (N, 2)`` -> tri-plane ``(N, 3, R/2, R/2, C_tri)``.

    ``gaze`` is the target (pitch, yaw) in the head frame (the LiveGaze paper,
    Sec. 4.1, converts labels to the head coordinate system). ``lite`` selects
    Live3D's LT layout, otherwise its normal one; see the submodules for the
    meaning of each width, and :func:`encoder_input` for ``normalized_coordinates``.
    """

    lite: bool = False
    feature_channels: int = 96
    stem_channels: int = 64
    mid_channels: int = 128
    wide_channels: int = 256
    token_dim: int = 1024
    low_depth: int = 5
    low_heads: int = 4
    final_heads: int = 2
    final_sr_ratio: int = 2
    mlp_ratio: float = 2.0
    resnet_widths: Sequence[int] = (64, 128)
    resnet_blocks: Sequence[int] = (3, 4)
    aspp_channels: int = 256
    aspp_rates: Sequence[int] = (12, 24, 36)
    gaze_tokens: int = 16
    gaze_hidden: int = 256
    gaze_frequencies: int = 6
    fusion_heads: int = 4
    fusion_head_dim: int = 24
    triplane_channels: int = 32
    normalized_coordinates: bool = False
    remat: bool = False  # recompute the ViT blocks in the backward pass (less memory, same results)
    query_chunk: int | None = None  # the ViT blocks attend this many queries at a time (None = all)
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, images, gaze):
        x = encoder_input(images, self.normalized_coordinates)
        high = HighFrequencyEncoder(
            self.feature_channels, self.stem_channels, self.lite, dtype=self.dtype, name="high"
        )(x)
        low = LowFrequencyEncoder(
            self.feature_channels, self.mid_channels, self.token_dim, self.low_depth, self.low_heads,
            self.mlp_ratio, self.resnet_widths, self.resnet_blocks, self.aspp_channels,
            self.aspp_rates, self.lite, self.remat, self.query_chunk, dtype=self.dtype, name="low",
        )(x)
        gaze_tokens = GazeEncoder(
            self.feature_channels, self.gaze_tokens, self.gaze_hidden, self.gaze_frequencies,
            dtype=self.dtype, name="gaze",
        )(gaze)
        fusion = GazeFusion(self.fusion_heads, self.fusion_head_dim, dtype=self.dtype, name="fusion")
        appearance = fusion(high, gaze_tokens)
        return TriplaneDecoder(
            self.triplane_channels, self.wide_channels, self.mid_channels, self.token_dim,
            self.final_heads, self.mlp_ratio, self.final_sr_ratio, self.lite, self.remat, self.query_chunk,
            dtype=self.dtype, name="decoder",
        )(appearance, low)
