"""EG3D's dual discriminator (``DualDiscriminator``; EG3D §4.1 'dual discrimination').

``{image (N, S, S, 3), image_raw (N, r, r, 3)}, c (N, 25) -> logits (N, 1)``.
The raw image is resized to S (:func:`filtered_resize`) and stacked with the
image (6 channels); StyleGAN2's 'resnet' discriminator blocks halve the
resolution down to 4x4 (``b{S}`` ... ``b8``, ``min(channel_base // res,
channel_max)`` channels); the epilogue ``b4`` appends the minibatch standard
deviation, convolves, applies two FC layers and projects onto the camera
embedding of an 8-layer mapping network (``cmap``; Miyato & Koyama 2018).

State-dict mapping (``D`` of a release pickle): ``b{res}.fromrgb|conv0|conv1|skip.*``,
``b4.conv|fc|out.*``, ``mapping.embed|fc{i}.*`` -> the same names with ``weight``
-> ``kernel`` (conv ``(O, I, k, k) -> (k, k, I, O)``, dense ``w.T``).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gazejax.methods.eg3d.mapping import MappingNetwork
from gazejax.nn.stylegan2 import EqualizedConv2d, EqualizedDense


def filtered_resize(images, size):
    """EG3D ``filtered_resizing`` ('antialiased'): bilinear, antialiased, half-pixel centres, NHWC."""
    n, _, _, c = images.shape
    return jax.image.resize(images, (n, size, size, c), method="bilinear", antialias=True)


def minibatch_stddev(x, group_size=4, num_channels=1):
    """StyleGAN2 ``MinibatchStdLayer``: ``(N, H, W, C) -> (N, H, W, C + num_channels)``.

    Sample ``i`` is grouped with the samples ``i mod (N / G)``; each group's
    standard deviation, averaged over channels (in ``num_channels`` slices) and
    pixels, is appended as constant feature maps.
    """
    n, h, w, c = x.shape
    g = min(group_size, n) if group_size is not None else n
    if n % g:
        raise ValueError(f"minibatch stddev: batch {n} is not divisible by the group size {g}")
    y = x.reshape(g, n // g, h, w, num_channels, c // num_channels)
    y = y - jnp.mean(y, axis=0)
    y = jnp.sqrt(jnp.mean(jnp.square(y), axis=0) + 1e-8)
    y = jnp.mean(y, axis=(1, 2, 4))  # (n/G, F)
    y = jnp.tile(y, (g, 1))[:, None, None, :]
    return jnp.concatenate([x, jnp.broadcast_to(y, (n, h, w, num_channels))], axis=-1)


class DiscriminatorBlock(nn.Module):
    """StyleGAN2 'resnet' ``DiscriminatorBlock``: ``x (N, R, R, I) or None, img -> (N, R/2, R/2, O)``.

    Attributes:
      in_channels: 0 for the first block (it reads ``img`` through ``fromrgb``).
      tmp_channels, out_channels: widths before and after the downsampling conv.
      conv_clamp: clamp of the 3x3 conv outputs.
    """

    in_channels: int
    tmp_channels: int
    out_channels: int
    conv_clamp: float | None = None

    @nn.compact
    def __call__(self, x, img):
        if self.in_channels == 0:
            x = EqualizedConv2d(self.tmp_channels, 1, "lrelu", conv_clamp=self.conv_clamp, name="fromrgb")(img)
        gain = np.sqrt(0.5)
        y = EqualizedConv2d(self.out_channels, 1, down=2, use_bias=False, name="skip")(x, gain=gain)
        x = EqualizedConv2d(self.tmp_channels, 3, "lrelu", conv_clamp=self.conv_clamp, name="conv0")(x)
        x = EqualizedConv2d(self.out_channels, 3, "lrelu", down=2, conv_clamp=self.conv_clamp, name="conv1")(
            x, gain=gain)
        return y + x


class DiscriminatorEpilogue(nn.Module):
    """``x (N, 4, 4, C), cmap (N, cmap_dim) or None -> (N, 1)`` (StyleGAN2 ``DiscriminatorEpilogue``).

    Attributes:
      channels: C.
      cmap_dim: camera embedding width (0 = unconditional).
      mbstd_group_size, mbstd_num_channels: minibatch-stddev settings (4, 1).
      conv_clamp: clamp of the conv output.
    """

    channels: int
    cmap_dim: int
    mbstd_group_size: int = 4
    mbstd_num_channels: int = 1
    conv_clamp: float | None = None

    @nn.compact
    def __call__(self, x, cmap):
        if self.mbstd_num_channels > 0:
            x = minibatch_stddev(x, self.mbstd_group_size, self.mbstd_num_channels)
        x = EqualizedConv2d(self.channels, 3, "lrelu", conv_clamp=self.conv_clamp, name="conv")(x)
        # torch flattens NCHW; the fc weights expect that order
        x = jnp.transpose(x, (0, 3, 1, 2)).reshape(x.shape[0], -1)
        x = EqualizedDense(self.channels, activation="lrelu", name="fc")(x)
        x = EqualizedDense(self.cmap_dim or 1, name="out")(x)
        if cmap is None:
            return x
        return jnp.sum(x * cmap, axis=1, keepdims=True) / np.sqrt(self.cmap_dim)


class DualDiscriminator(nn.Module):
    """``{'image': (N, S, S, 3), 'image_raw': (N, r, r, 3)} in [-1, 1], c (N, c_dim) -> (N, 1)`` logits.

    Attributes:
      resolution: S (512 for FFHQ).
      c_dim: camera label size (25; 0 = unconditional).
      channel_base, channel_max: StyleGAN2 channel rule (32768, 512).
      conv_clamp: clamp of the conv outputs (EG3D: 256).
      cmap_dim: camera embedding width, None = the 4x4 channels.
      mapping_layers: FC layers of the camera mapping (8).
      mbstd_group_size, mbstd_num_channels: minibatch-stddev settings (4, 1).
      dtype: compute dtype of the blocks down to 8^2 (parameters stay float32; the
        4^2 epilogue, its minibatch statistics and the logits are float32).
    """

    resolution: int
    c_dim: int = 25
    channel_base: int = 32768
    channel_max: int = 512
    conv_clamp: float | None = 256.0
    cmap_dim: int | None = None
    mapping_layers: int = 8
    mbstd_group_size: int = 4
    mbstd_num_channels: int = 1
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, images, c):
        image = images["image"]
        if image.shape[1:3] != (self.resolution, self.resolution):
            raise ValueError(f"discriminator: images must be {self.resolution}^2, got {image.shape}")
        x = jnp.concatenate([image, filtered_resize(images["image_raw"], self.resolution)], axis=-1)
        log2 = int(np.log2(self.resolution))
        resolutions = [2 ** i for i in range(log2, 2, -1)]
        channels = {res: min(self.channel_base // res, self.channel_max) for res in resolutions + [4]}
        img, x = x.astype(self.dtype), None
        for res in resolutions:
            in_channels = channels[res] if res < self.resolution else 0
            x = DiscriminatorBlock(in_channels, channels[res], channels[res // 2], self.conv_clamp,
                                   name=f"b{res}")(x, img)
        cmap_dim = channels[4] if self.cmap_dim is None else self.cmap_dim
        cmap = None
        if self.c_dim > 0:
            cmap = MappingNetwork(0, self.c_dim, cmap_dim, None, num_layers=self.mapping_layers,
                                  w_avg_beta=None, name="mapping")(None, c)
        return DiscriminatorEpilogue(channels[4], cmap_dim if self.c_dim > 0 else 0, self.mbstd_group_size,
                                     self.mbstd_num_channels, self.conv_clamp, name="b4")(x.astype(jnp.float32), cmap)
