"""SegFormer (Mix Transformer) blocks: overlapping patch embedding, efficient
self-attention with spatial reduction, Mix-FFN (Xie et al., NeurIPS 2021,
Sec. 3.1, Eqs. 1-3).

Live3D's encoder (and so LiveGaze's, LiveGaze paper Sec. 3.1) builds its ViT
parts from these. Submodule names equal the torch ones of SegFormer's
``mix_transformer.py`` (``attn.q``, ``attn.kv``, ``attn.proj``, ``attn.sr``,
``attn.norm``, ``mlp.fc1``, ``mlp.dwconv.dwconv``, ``mlp.fc2``, ``norm1``,
``norm2``), so converting a state_dict is a rename with ``.`` -> ``/``.

Tokens are ``(N, H*W, C)`` in row-major pixel order, which is exactly an NHWC
feature map reshaped; every block takes the spatial size ``(H, W)`` with them.
Torch's LayerNorm epsilon (1e-5) and exact GELU are used throughout.

Memory: ``query_chunk`` attends that many queries at a time, each chunk
recomputed in the backward pass, so a training step holds one chunk's
``(chunk, L')`` attention weights instead of all ``(L, L')``; ``remat``
recomputes a whole block in the backward pass, keeping only its input.
Results are the same either way.
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gazejax.nn.chunks import from_chunks, to_chunks

TORCH_LAYER_NORM_EPS = 1e-5


def layer_norm(name, dtype=jnp.float32):
    """A LayerNorm with torch's default epsilon, output in ``dtype`` (statistics in float32)."""
    return nn.LayerNorm(epsilon=TORCH_LAYER_NORM_EPS, dtype=dtype, name=name)


class OverlapPatchEmbed(nn.Module):
    """Overlapping patch embedding: a strided conv then LayerNorm (SegFormer Eq. 4).

    ``(N, H, W, C_in)`` -> tokens ``(N, H'*W', embed_dim)`` and ``(H', W')``
    with ``H' = floor((H + 2*(patch//2) - patch) / stride) + 1``.
    """

    embed_dim: int
    patch_size: int = 7
    stride: int = 4
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        pad = self.patch_size // 2
        x = nn.Conv(
            self.embed_dim,
            (self.patch_size, self.patch_size),
            strides=(self.stride, self.stride),
            padding=((pad, pad), (pad, pad)),
            name="proj", dtype=self.dtype
        )(x)
        n, h, w, c = x.shape
        return layer_norm("norm", dtype=self.dtype)(x.reshape(n, h * w, c)), (h, w)


class DepthwiseConv(nn.Module):
    """3x3 depthwise conv on tokens: ``(N, H*W, C)`` -> ``(N, H*W, C)``."""

    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x, hw):
        n, _, c = x.shape
        y = x.reshape(n, hw[0], hw[1], c)
        y = nn.Conv(c, (3, 3), padding=((1, 1), (1, 1)), feature_group_count=c, name="dwconv", dtype=self.dtype)(y)
        return y.reshape(n, -1, c)


class MixFFN(nn.Module):
    """Mix-FFN (SegFormer Eq. 3): Linear -> 3x3 depthwise conv -> GELU -> Linear.

    The depthwise conv leaks positional information, replacing positional
    encodings. ``(N, H*W, C)`` -> ``(N, H*W, C)``, hidden width ``hidden``.
    """

    hidden: int
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x, hw):
        y = nn.Dense(self.hidden, name="fc1", dtype=self.dtype)(x)
        y = DepthwiseConv(name="dwconv", dtype=self.dtype)(y, hw)
        y = nn.gelu(y, approximate=False)
        return nn.Dense(x.shape[-1], name="fc2", dtype=self.dtype)(y)


def attend(q, k, v, query_chunk=None):
    """Scaled dot-product attention per head: ``(N, L, H, D)``, ``(N, L', H, D)`` x 2 -> ``(N, L, H, D)``.

    The softmax runs in float32. ``query_chunk``: queries per chunk (None = all
    at once), the chunks mapped with ``lax.map`` and rematerialised.
    """
    scale = q.shape[-1] ** -0.5

    def one(q):
        logits = jnp.einsum("nqhd,nkhd->nhqk", q, k) * scale
        weights = jax.nn.softmax(logits.astype(jnp.float32), axis=-1).astype(v.dtype)
        return jnp.einsum("nhqk,nkhd->nqhd", weights, v)

    length = q.shape[1]
    if query_chunk is not None and query_chunk < 1:
        raise ValueError(f"attention: query_chunk must be positive (or None), got {query_chunk}")
    if query_chunk is None or query_chunk >= length:
        return one(q)
    return from_chunks(jax.lax.map(jax.checkpoint(one), to_chunks(q, query_chunk)), length)


class EfficientSelfAttention(nn.Module):
    """Multi-head self-attention with spatial reduction (SegFormer Eq. 2).

    Keys and values come from the token map shrunk by a conv with kernel =
    stride = ``sr_ratio`` (then LayerNorm), cutting the cost by ``sr_ratio**2``.
    ``(N, H*W, C)`` -> ``(N, H*W, C)``; C must be divisible by ``num_heads``.
    """

    num_heads: int
    sr_ratio: int = 1
    qkv_bias: bool = False
    query_chunk: int | None = None  # queries attended at a time (None = all), see :func:`attend`
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x, hw):
        n, length, c = x.shape
        head = c // self.num_heads
        q = nn.Dense(c, use_bias=self.qkv_bias, name="q", dtype=self.dtype)(x)
        context = x
        if self.sr_ratio > 1:
            grid = x.reshape(n, hw[0], hw[1], c)
            r = self.sr_ratio
            grid = nn.Conv(c, (r, r), strides=(r, r), padding="VALID", dtype=self.dtype, name="sr")(grid)
            context = layer_norm("norm", dtype=self.dtype)(grid.reshape(n, -1, c))
        kv = nn.Dense(2 * c, use_bias=self.qkv_bias, name="kv", dtype=self.dtype)(context)
        k, v = jnp.split(kv, 2, axis=-1)
        split = lambda t: t.reshape(n, t.shape[1], self.num_heads, head)
        out = attend(split(q), split(k), split(v), self.query_chunk).reshape(n, length, c)
        return nn.Dense(c, name="proj", dtype=self.dtype)(out)


class Block(nn.Module):
    """A Mix Transformer block: pre-norm efficient attention and Mix-FFN, each residual.

    ``(N, H*W, C)`` -> ``(N, H*W, C)``; MLP hidden width ``int(C * mlp_ratio)``.
    """

    num_heads: int
    mlp_ratio: float = 4.0
    sr_ratio: int = 1
    qkv_bias: bool = False
    query_chunk: int | None = None  # see :func:`attend`
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x, hw):
        x = x + EfficientSelfAttention(
            self.num_heads, self.sr_ratio, self.qkv_bias, self.query_chunk, name="attn", dtype=self.dtype
        )(layer_norm("norm1", dtype=self.dtype)(x), hw)
        hidden = int(x.shape[-1] * self.mlp_ratio)
        return x + MixFFN(hidden, name="mlp", dtype=self.dtype)(layer_norm("norm2", dtype=self.dtype)(x), hw)


def make_block(remat=False, **attributes):
    """A :class:`Block`, recomputed in the backward pass when ``remat`` (same parameters, same outputs)."""
    return (nn.remat(Block, static_argnums=(2,)) if remat else Block)(**attributes)
