"""Gaze fusion: F_app = CrossAttention(F_h, E_g(g)) (LiveGaze paper Eq. 2).

Queries are the high-frequency feature pixels ``F_h`` (one token per pixel,
width C), keys/values the gaze tokens ``(N, T, C)``. As in Stable Diffusion's
transformer block (which the paper cites for this), the attention is pre-norm
and residual, ``F_app = F_h + Attn(LN(F_h), E_g(g))``: without the residual the
output would be a mixture of gaze tokens only and the appearance of F_h would
be lost.
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from gazejax.nn.cross_attention import CrossAttention
from gazejax.nn.segformer import layer_norm


class GazeFusion(nn.Module):
    """``F_h (N, H, W, C)``, gaze tokens ``(N, T, C)`` -> ``F_app (N, H, W, C)``."""

    heads: int = 4
    head_dim: int = 24
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, features, gaze_tokens):
        n, h, w, c = features.shape
        queries = features.reshape(n, h * w, c)
        attended = CrossAttention(self.heads, self.head_dim, name="attn", dtype=self.dtype)(
            layer_norm("norm", dtype=self.dtype)(queries), gaze_tokens
        )
        return features + attended.reshape(n, h, w, c)
