"""LiveGaze's encoder blocks in plain torch, and the helpers its parity tests use.

SegFormer (efficient attention with spatial reduction, Mix-FFN, overlapping
patch embedding), Stable Diffusion's cross-attention, and Live3D's
low-frequency encoder E_l (a BatchNorm-free DeepLabV3 on a ResNet-34 stem,
then SegFormer blocks, pixel shuffle and convs), with the released
checkpoints' state_dict key names. :func:`randomize`, :func:`convert`,
:func:`nchw` and :func:`nhwc` give such a module random weights, convert them
to Flax variables and move images between layouts.
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


class BasicBlockNoBN(nn.Module):
    """torchvision BasicBlock with BatchNorm -> Identity and biased convs (Live3D's E_l)."""

    def __init__(self, cin, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, planes, 3, stride, 1)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1)
        self.downsample = None
        if stride != 1 or cin != planes:
            self.downsample = nn.Sequential(nn.Conv2d(cin, planes, 1, stride))

    def forward(self, x):
        y = self.conv2(torch.relu(self.conv1(x)))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNetStemNoBN(nn.Module):
    """smp ResNet-34 encoder at ``encoder_depth=3``: conv1, max-pool, layer1, layer2."""

    def __init__(self, cin, widths, blocks):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, widths[0], 7, 2, 3)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        prev = widths[0]
        for stage, (width, count) in enumerate(zip(widths, blocks), start=1):
            layers = []
            for j in range(count):
                layers.append(BasicBlockNoBN(prev, width, 2 if (j == 0 and stage > 1) else 1))
                prev = width
            setattr(self, f"layer{stage}", nn.Sequential(*layers))
        self.stages = len(widths)

    def forward(self, x):
        x = self.maxpool(torch.relu(self.conv1(x)))
        for stage in range(1, self.stages + 1):
            x = getattr(self, f"layer{stage}")(x)
        return x


class ASPP(nn.Module):
    """smp/torchvision DeepLabV3 ASPP with BatchNorm -> Identity, biased convs, no dropout."""

    def __init__(self, cin, channels, rates):
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(cin, channels, 1), nn.ReLU())]
        branches += [nn.Sequential(nn.Conv2d(cin, channels, 3, padding=r, dilation=r), nn.ReLU()) for r in rates]
        branches.append(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cin, channels, 1), nn.ReLU()))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(nn.Conv2d(channels * len(branches), channels, 1), nn.ReLU())

    def forward(self, x):
        outs = [branch(x) for branch in self.convs[:-1]]
        pooled = self.convs[-1](x)
        outs.append(nn.functional.interpolate(pooled, size=x.shape[2:], mode="bilinear", align_corners=False))
        return self.project(torch.cat(outs, 1))


class DeepLabV3(nn.Module):
    def __init__(self, cin, widths, blocks, channels, rates):
        super().__init__()
        self.encoder = ResNetStemNoBN(cin, widths, blocks)
        self.decoder = nn.Sequential(ASPP(widths[-1], channels, rates), nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return self.decoder(self.encoder(x))


class LowFrequencyEncoder(nn.Module):
    """Live3D's E_l, "normal" layout: DeepLabV3 -> SegFormer ViT -> pixel shuffle -> convs."""

    def __init__(self, cin, widths, blocks, aspp, rates, token_dim, depth, heads, mid, channels):
        super().__init__()
        self.deeplabv3 = DeepLabV3(cin, widths, blocks, aspp, rates)
        self.patch_embed = OverlapPatchEmbed(7, 2, aspp, token_dim)
        self.blocks = nn.ModuleList([Block(token_dim, heads, mlp_ratio=2) for _ in range(depth)])
        self.head = nn.ModuleList([
            nn.Conv2d(token_dim // 4, mid, 3, padding=1), nn.Conv2d(mid, mid, 3, padding=1),
            nn.Conv2d(mid, channels, 3, padding=1),
        ])

    def forward(self, x):
        up = lambda t: nn.functional.interpolate(t, scale_factor=2, mode="bilinear", align_corners=False)
        tokens, h, w = self.patch_embed(self.deeplabv3(x))
        for block in self.blocks:
            tokens = block(tokens, h, w)
        x = up(nn.functional.pixel_shuffle(to_grid(tokens, h, w), 2))
        x = torch.relu(self.head[0](x))
        x = torch.relu(self.head[1](up(x)))
        return self.head[2](x)


def randomize(module, seed=0, fan_in_scaled=False):
    """Random weights everywhere (biases and LayerNorm affine too), in eval mode.

    ``fan_in_scaled`` divides matrix/kernel weights by sqrt(fan-in) so deep
    stacks keep activations of order one.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            scale = p[0].numel() ** -0.5 if (fan_in_scaled and p.ndim > 1) else 0.2
            p.copy_(torch.randn(p.shape, generator=gen) * scale)
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
