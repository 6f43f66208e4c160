"""LiveGaze's image encoders E_h (high frequency) and E_l (low frequency).

The LiveGaze paper (Sec. 3.1, Eq. 1) takes both from Live3D (Trevithick et
al. 2023), which has no official code; the shapes below are those of its
public reimplementation (Live3DPortrait's ``EG3DInvEncoder``). Input:
``(N, R, R, 5)`` = RGB in [-1, 1] plus two raw pixel-index channels (see
:func:`gazejax.methods.livegaze.tri_encoder.encoder_input`).

- E_h (``lite=False``, Live3D "normal"): conv7/2 -> conv3 -> 3x conv3, each
  with LeakyReLU(0.01): ``(N, R/2, R/2, C)``. ``lite=True`` (Live3D "LT"):
  conv7/2 -> conv3/2 -> 5x conv3, no activation after the last: ``(N, R/4, R/4, C)``.
- E_l: DeepLabV3 (ResNet-34 cut after ``layer2``, output stride 8, ASPP) with
  BatchNorm replaced by identity and biases on every conv, then a SegFormer
  ViT on its ``(N, R/8, R/8, 256)`` map, pixel shuffle and upsampling to the
  resolution of E_h.

Flax submodule names are the torch ones under the rule of
:mod:`gazejax.convert.dotted_keys` (``layer1.0.conv1`` -> ``layer1_0/conv1``,
``convs.4.1`` -> ``convs_4_1``).
"""

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from gazejax.nn.pixel_shuffle import pixel_shuffle
from gazejax.nn.segformer import OverlapPatchEmbed, make_block

LEAKY_SLOPE = 0.01


def conv(features, kernel=3, stride=1, dilation=1, name=None, dtype=jnp.float32):
    """A biased conv with torch-style symmetric padding ``dilation * (kernel // 2)``, computing in ``dtype``."""
    pad = dilation * (kernel // 2)
    return nn.Conv(
        features,
        (kernel, kernel),
        strides=(stride, stride),
        padding=((pad, pad), (pad, pad)),
        kernel_dilation=(dilation, dilation),
        dtype=dtype,
        name=name,
    )


def upsample2x(x):
    """Bilinear x2, torch ``interpolate(scale_factor=2, align_corners=False)``."""
    n, h, w, c = x.shape
    return jax.image.resize(x, (n, 2 * h, 2 * w, c), "bilinear", antialias=False)


def leaky_relu(x):
    return nn.leaky_relu(x, LEAKY_SLOPE)


class BiasBasicBlock(nn.Module):
    """ResNet BasicBlock without BatchNorm (biased convs): ``(N,H,W,C)`` -> ``(N,H/s,W/s,planes)``."""

    planes: int
    stride: int = 1
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        y = nn.relu(conv(self.planes, 3, self.stride, name="conv1", dtype=self.dtype)(x))
        y = conv(self.planes, 3, name="conv2", dtype=self.dtype)(y)
        if self.stride != 1 or x.shape[-1] != self.planes:
            x = conv(self.planes, 1, self.stride, name="downsample_0", dtype=self.dtype)(x)
        return nn.relu(y + x)


class BiasResNetStem(nn.Module):
    """ResNet-34 to the end of ``layer2`` (smp ``encoder_depth=3``), BN -> identity.

    ``(N, H, W, C_in)`` -> ``(N, H/8, W/8, widths[-1])``. Torch names
    ``conv1``, ``layer{i}.{j}.conv{1,2}``, ``layer{i}.0.downsample.0``.
    """

    widths: Sequence[int] = (64, 128)
    blocks: Sequence[int] = (3, 4)
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        x = nn.relu(conv(self.widths[0], 7, 2, name="conv1", dtype=self.dtype)(x))
        x = nn.max_pool(x, (3, 3), strides=(2, 2), padding=((1, 1), (1, 1)))
        for stage, (width, count) in enumerate(zip(self.widths, self.blocks), start=1):
            for j in range(count):
                stride = 2 if (j == 0 and stage > 1) else 1
                x = BiasBasicBlock(width, stride, name=f"layer{stage}_{j}", dtype=self.dtype)(x)
        return x


class ASPP(nn.Module):
    """DeepLabV3 atrous spatial pyramid pooling (Chen et al. 2017, Sec. 3.3), BN -> identity.

    Five branches (1x1 conv; three dilated 3x3 convs; global pooling -> 1x1
    conv -> broadcast), concatenated, projected by a 1x1 conv, then the
    DeepLabV3 decoder's 3x3 conv: ``(N, H, W, C)`` -> ``(N, H, W, channels)``.
    Torch names: ``0.convs.{0..3}.0``, ``0.convs.4.1``, ``0.project.0``, ``1``
    (children of smp's ``decoder``); Dropout is omitted (inference semantics).
    """

    channels: int = 256
    rates: Sequence[int] = (12, 24, 36)
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        branches = [nn.relu(conv(self.channels, 1, name="convs_0_0", dtype=self.dtype)(x))]
        for i, rate in enumerate(self.rates, start=1):
            branches.append(nn.relu(conv(self.channels, 3, dilation=rate, name=f"convs_{i}_0", dtype=self.dtype)(x)))
        pooled = jnp.mean(x, axis=(1, 2), keepdims=True)
        pooled = nn.relu(conv(self.channels, 1, name=f"convs_{len(self.rates) + 1}_1", dtype=self.dtype)(pooled))
        branches.append(jnp.broadcast_to(pooled, x.shape[:3] + (self.channels,)))
        y = nn.relu(conv(self.channels, 1, name="project_0", dtype=self.dtype)(jnp.concatenate(branches, -1)))
        return y


class DeepLabV3(nn.Module):
    """ResNet stem + ASPP + decoder conv: ``(N, H, W, C_in)`` -> ``(N, H/8, W/8, aspp_channels)``."""

    widths: Sequence[int] = (64, 128)
    blocks: Sequence[int] = (3, 4)
    aspp_channels: int = 256
    aspp_rates: Sequence[int] = (12, 24, 36)
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        x = BiasResNetStem(self.widths, self.blocks, name="encoder", dtype=self.dtype)(x)
        x = ASPP(self.aspp_channels, self.aspp_rates, name="decoder_0", dtype=self.dtype)(x)
        return nn.relu(conv(self.aspp_channels, 3, name="decoder_1", dtype=self.dtype)(x))


class HighFrequencyEncoder(nn.Module):
    """E_h: appearance features ``(N, R, R, 5)`` -> ``(N, R/s, R/s, channels)``, s = 2 (normal) or 4 (lite)."""

    channels: int = 96
    stem_channels: int = 64
    lite: bool = False
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        x = leaky_relu(conv(self.stem_channels, 7, 2, name="convs_0", dtype=self.dtype)(x))
        count = 6 if self.lite else 4
        for i in range(1, count + 1):
            stride = 2 if (self.lite and i == 1) else 1
            x = conv(self.channels, 3, stride, name=f"convs_{i}", dtype=self.dtype)(x)
            if not (self.lite and i == count):
                x = leaky_relu(x)
        return x


class LowFrequencyEncoder(nn.Module):
    """E_l: geometry features ``(N, R, R, 5)`` -> ``(N, R/s, R/s, channels)``, s as E_h.

    DeepLabV3 (R/8) -> OverlapPatchEmbed(7, stride 2) to R/16 tokens of width
    ``token_dim`` -> ``depth`` SegFormer blocks -> pixel shuffle x2 (R/8,
    ``token_dim/4`` ch) -> bilinear x2 (R/4) -> normal: conv3+ReLU, bilinear
    x2, conv3+ReLU, conv3 (R/2); lite: conv3+LeakyReLU, conv3 (R/4).
    """

    channels: int = 96
    mid_channels: int = 128
    token_dim: int = 1024
    depth: int = 5
    heads: int = 4
    mlp_ratio: float = 2.0
    resnet_widths: Sequence[int] = (64, 128)
    resnet_blocks: Sequence[int] = (3, 4)
    aspp_channels: int = 256
    aspp_rates: Sequence[int] = (12, 24, 36)
    lite: bool = False
    remat: bool = False  # recompute each ViT block in the backward pass
    query_chunk: int | None = None  # queries attended at a time (None = all)
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        x = DeepLabV3(
            self.resnet_widths, self.resnet_blocks, self.aspp_channels, self.aspp_rates,
            name="deeplabv3", dtype=self.dtype
        )(x)
        tokens, hw = OverlapPatchEmbed(self.token_dim, 7, 2, name="patch_embed", dtype=self.dtype)(x)
        for i in range(self.depth):
            tokens = make_block(self.remat, num_heads=self.heads, mlp_ratio=self.mlp_ratio,
                                query_chunk=self.query_chunk, name=f"blocks_{i}", dtype=self.dtype)(tokens, hw)
        x = pixel_shuffle(tokens.reshape(x.shape[0], hw[0], hw[1], self.token_dim), 2)
        x = upsample2x(x)
        if self.lite:
            x = leaky_relu(conv(self.mid_channels, 3, name="head_0", dtype=self.dtype)(x))
            return conv(self.channels, 3, name="head_1", dtype=self.dtype)(x)
        x = nn.relu(conv(self.mid_channels, 3, name="head_0", dtype=self.dtype)(x))
        x = nn.relu(conv(self.mid_channels, 3, name="head_1", dtype=self.dtype)(upsample2x(x)))
        return conv(self.channels, 3, name="head_2", dtype=self.dtype)(x)
