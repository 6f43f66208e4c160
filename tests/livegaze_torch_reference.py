"""Plain-torch reference modules for the LiveGaze parity tests.

Written from the architecture facts in shared/reference/livegaze_mggr_sted.md
§A (Live3D / SegFormer / Stable Diffusion module structure), with the same
state_dict key names as the released checkpoints. Test-only: imports torch.
"""

import jax
import numpy as np
import torch
from torch import nn

from gazejax.convert.dotted_keys import dotted_module_path
from gazejax.convert.tree import map_state_dict


def to_tokens(x):
    """NCHW -> (N, H*W, C)."""
    return x.flatten(2).transpose(1, 2)


def to_grid(x, h, w):
    """(N, H*W, C) -> NCHW."""
    return x.transpose(1, 2).reshape(x.shape[0], -1, h, w)


class DWConv(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 3, 1, 1, groups=dim)

    def forward(self, x, h, w):
        return to_tokens(self.dwconv(to_grid(x, h, w)))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.dwconv = DWConv(hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x, h, w):
        return self.fc2(self.act(self.dwconv(self.fc1(x), h, w)))


class Attention(nn.Module):
    def __init__(self, dim, num_heads, sr_ratio=1, qkv_bias=False):
        super().__init__()
        self.num_heads, self.sr_ratio = num_heads, sr_ratio
        self.scale = (dim // num_heads) ** -0.5
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, 2 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        if sr_ratio > 1:
            self.sr = nn.Conv2d(dim, dim, sr_ratio, sr_ratio)
            self.norm = nn.LayerNorm(dim)

    def forward(self, x, h, w):
        b, n, c = x.shape
        heads = self.num_heads
        q = self.q(x).reshape(b, n, heads, c // heads).permute(0, 2, 1, 3)
        ctx = self.norm(to_tokens(self.sr(to_grid(x, h, w)))) if self.sr_ratio > 1 else x
        kv = self.kv(ctx).reshape(b, -1, 2, heads, c // heads).permute(2, 0, 3, 1, 4)
        attn = (q @ kv[0].transpose(-2, -1) * self.scale).softmax(-1)
        return self.proj((attn @ kv[1]).transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio=4.0, sr_ratio=1):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, num_heads, sr_ratio)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x, h, w):
        x = x + self.attn(self.norm1(x), h, w)
        return x + self.mlp(self.norm2(x), h, w)


class OverlapPatchEmbed(nn.Module):
    def __init__(self, patch_size, stride, in_chans, embed_dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, patch_size, stride, patch_size // 2)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, x):
        x = self.proj(x)
        h, w = x.shape[2:]
        return self.norm(to_tokens(x)), h, w


class CrossAttention(nn.Module):
    def __init__(self, query_dim, context_dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads, self.scale = heads, dim_head**-0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim), nn.Dropout(0.0))

    def forward(self, x, context):
        b = x.shape[0]
        split = lambda t: t.reshape(b, t.shape[1], self.heads, -1).transpose(1, 2)
        q, k, v = split(self.to_q(x)), split(self.to_k(context)), split(self.to_v(context))
        attn = (q @ k.transpose(-2, -1) * self.scale).softmax(-1)
        return self.to_out((attn @ v).transpose(1, 2).reshape(b, x.shape[1], -1))


def randomize(module, seed=0):
    """Random weights everywhere (biases and LayerNorm affine too), in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
    return module.eval()


def convert(torch_module, flax_module, *flax_inputs, module_path=dotted_module_path, **kwargs):
    """torch state_dict -> Flax variables of ``flax_module`` (checked against its init)."""
    state_dict = {k: v.detach().numpy() for k, v in torch_module.state_dict().items()}
    abstract = jax.eval_shape(
        lambda: flax_module.init(jax.random.key(0), *flax_inputs, **kwargs)
    )
    return map_state_dict(state_dict, module_path, abstract)


def nchw(x):
    """NHWC numpy -> NCHW torch."""
    return torch.from_numpy(np.ascontiguousarray(np.asarray(x).transpose(0, 3, 1, 2)))


def nhwc(t):
    """NCHW torch -> NHWC numpy."""
    return t.detach().numpy().transpose(0, 2, 3, 1)
