"""Multi-head cross-attention, as in Stable Diffusion's ``CrossAttention``
(Rombach et al., CVPR 2022, Sec. 3.3: ``softmax(Q K^T / sqrt(d)) V`` with
``Q = W_Q x``, ``K = W_K c``, ``V = W_V c``).

LiveGaze (paper Eq. 2) uses it to inject the gaze prompt: queries are
the high-frequency image tokens, keys/values the gaze-embedding tokens.
Submodule names follow the torch module (``to_q``, ``to_k``, ``to_v``,
``to_out.0`` -> ``to_out_0``).
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp


class CrossAttention(nn.Module):
    """Queries ``x`` attend to a context sequence ``context``.

    Args (call):
      x: ``(N, Lq, C_q)`` query tokens.
      context: ``(N, Lk, C_k)`` key/value tokens.

    Returns ``(N, Lq, C_q)``. Q/K/V projections have no bias; the output
    projection (inner width ``heads * head_dim`` -> ``C_q``) has one.
    """

    heads: int = 8
    head_dim: int = 64
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x, context):
        inner = self.heads * self.head_dim
        n, lq, cq = x.shape
        q = nn.Dense(inner, use_bias=False, name="to_q", dtype=self.dtype)(x)
        k = nn.Dense(inner, use_bias=False, name="to_k", dtype=self.dtype)(context)
        v = nn.Dense(inner, use_bias=False, name="to_v", dtype=self.dtype)(context)
        split = lambda t: t.reshape(n, t.shape[1], self.heads, self.head_dim)
        logits = jnp.einsum("nqhd,nkhd->nhqk", split(q), split(k)) * self.head_dim**-0.5
        weights = nn.softmax(logits.astype(jnp.float32), axis=-1).astype(v.dtype)
        out = jnp.einsum("nhqk,nkhd->nqhd", weights, split(v)).reshape(n, lq, inner)
        return nn.Dense(cq, name="to_out_0", dtype=self.dtype)(out)
