"""Torchvision-style ResNet-18/34/50/101/152 backbone (He et al., 2016).

Layer for layer the same as ``torchvision.models.resnet``: a 7x7/2 stem, a
3x3/2 max-pool, four stages of BasicBlocks (18, 34) or Bottlenecks (50+,
stride on the 3x3 conv as in torchvision "v1.5"), global average pool.
Submodule names follow the torch ones (``conv1``, ``bn1``, ``layer1_0`` for
``layer1.0``, ``downsample_conv``/``downsample_bn`` for ``downsample.0/1``).

BatchNorm uses torch's epsilon 1e-5; Flax momentum 0.9 equals torch momentum
0.1. Inputs are already normalised (the model wrappers do the ImageNet
normalisation), NHWC. ``dtype`` is the compute dtype (parameters stay float32).
"""

from typing import Any, ClassVar

import flax.linen as nn
import jax.numpy as jnp


def _batch_norm(train, name, dtype):
    return nn.BatchNorm(
        use_running_average=not train, momentum=0.9, epsilon=1e-5, dtype=dtype, name=name
    )


def _conv(features, kernel, stride, name, dtype):
    pad = kernel // 2
    # Explicit torch-style padding: 'SAME' differs from torch for stride 2.
    return nn.Conv(
        features,
        (kernel, kernel),
        strides=(stride, stride),
        padding=((pad, pad), (pad, pad)),
        use_bias=False,
        dtype=dtype,
        name=name,
    )


class BasicBlock(nn.Module):
    """Two 3x3 convs with a residual: (N,H,W,C) -> (N,H/s,W/s,planes)."""

    planes: int
    stride: int = 1
    downsample: bool = False
    dtype: Any = jnp.float32
    expansion: ClassVar[int] = 1

    @nn.compact
    def __call__(self, x, train=False):
        y = _conv(self.planes, 3, self.stride, "conv1", self.dtype)(x)
        y = nn.relu(_batch_norm(train, "bn1", self.dtype)(y))
        y = _conv(self.planes, 3, 1, "conv2", self.dtype)(y)
        y = _batch_norm(train, "bn2", self.dtype)(y)
        return nn.relu(y + _shortcut(self, x, train))


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (strided) -> 1x1 convs: (N,H,W,C) -> (N,H/s,W/s,4*planes)."""

    planes: int
    stride: int = 1
    downsample: bool = False
    dtype: Any = jnp.float32
    expansion: ClassVar[int] = 4

    @nn.compact
    def __call__(self, x, train=False):
        y = _conv(self.planes, 1, 1, "conv1", self.dtype)(x)
        y = nn.relu(_batch_norm(train, "bn1", self.dtype)(y))
        y = _conv(self.planes, 3, self.stride, "conv2", self.dtype)(y)
        y = nn.relu(_batch_norm(train, "bn2", self.dtype)(y))
        y = _conv(self.planes * 4, 1, 1, "conv3", self.dtype)(y)
        y = _batch_norm(train, "bn3", self.dtype)(y)
        return nn.relu(y + _shortcut(self, x, train))


def _shortcut(block, x, train):
    if not block.downsample:
        return x
    y = _conv(block.planes * block.expansion, 1, block.stride, "downsample_conv", block.dtype)(x)
    return _batch_norm(train, "downsample_bn", block.dtype)(y)


# depth -> (block, blocks per stage), as in torchvision.
RESNET_STAGES = {
    18: (BasicBlock, (2, 2, 2, 2)),
    34: (BasicBlock, (3, 4, 6, 3)),
    50: (Bottleneck, (3, 4, 6, 3)),
    101: (Bottleneck, (3, 4, 23, 3)),
    152: (Bottleneck, (3, 8, 36, 3)),
}

RESNET_TAPS = ("layer1", "layer2", "layer3", "layer4")


class ResNet(nn.Module):
    """ResNet backbone without its classifier.

    Attributes:
      depth: 18, 34, 50, 101 or 152.
      stem_pool_stride: 2 as in torchvision; ST-ED's evaluation ResNet uses 1.
      width: channels of the stem and the first stage (64 in torchvision;
        stage s has ``width * 2**s`` planes). Narrower networks serve as small
        SynthGaze judges.
      taps: names from ``RESNET_TAPS`` (stage outputs); when given, the call
        returns those activations instead of the pooled features.
      dtype: compute dtype of the convolutions and BatchNorms (outputs are in it).

    Call: ``x`` (N, H, W, 3) normalised images -> (N, C) globally averaged
    features, C = 8 * width (18/34) or 32 * width (50+); or, with ``taps``,
    ``{tap: (N, h, w, C_stage)}``. ``train`` selects batch statistics (and
    updates ``batch_stats``, which must then be mutable).
    """

    depth: int = 50
    stem_pool_stride: int = 2
    taps: tuple = ()
    width: int = 64
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x, train=False):
        if self.depth not in RESNET_STAGES:
            raise ValueError(f"ResNet depth must be one of {sorted(RESNET_STAGES)}, got {self.depth}")
        block, stages = RESNET_STAGES[self.depth]
        unknown = [t for t in self.taps if t not in RESNET_TAPS]
        if unknown:
            raise ValueError(f"unknown ResNet taps {unknown}; choose from {', '.join(RESNET_TAPS)}")
        x = _conv(self.width, 7, 2, "conv1", self.dtype)(x)
        x = nn.relu(_batch_norm(train, "bn1", self.dtype)(x))
        # flax max_pool pads with -inf (reduce_window's init), like torch.
        s = self.stem_pool_stride
        x = nn.max_pool(x, (3, 3), strides=(s, s), padding=((1, 1), (1, 1)))
        in_features = self.width
        tapped = {}
        for stage, num_blocks in enumerate(stages):
            planes = self.width * 2**stage
            for b in range(num_blocks):
                stride = 2 if (stage > 0 and b == 0) else 1
                downsample = b == 0 and (stride != 1 or in_features != planes * block.expansion)
                x = block(
                    planes, stride=stride, downsample=downsample, dtype=self.dtype,
                    name=f"layer{stage + 1}_{b}",
                )(x, train)
                in_features = planes * block.expansion
            tapped[f"layer{stage + 1}"] = x
        if self.taps:
            return {t: tapped[t] for t in self.taps}
        return jnp.mean(x, axis=(1, 2))

