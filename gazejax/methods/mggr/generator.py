"""MGGR's fine branch: conditional residual generator ``R = G(x~_b, x_a, h, Delta r_s)``.

MGGR Sec. 3.2, Eq. 6-7: the generator sees the coarse output, the source
patch, the head pose and the multimodal guidance, and predicts a residual
image that is added to the coarse output: ``x^_b = R + x~_b``.
"""

from typing import Any, Sequence

import flax.linen as nn
import jax.numpy as jnp

from gazejax.methods.mggr.gazemap import guidance, normalize_angles
from gazejax.methods.mggr.layers import ConvNormRelu, UpConvNormRelu, tile


class ResidualBlock(nn.Module):
    """conv3-IN-ReLU-conv3-IN plus identity skip (PRGAN/StarGAN generator block).

    Call: (N, H, W, C) -> (N, H, W, C).
    """

    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, x):
        y = ConvNormRelu(x.shape[-1], dtype=self.dtype)(x)
        y = nn.Conv(x.shape[-1], (3, 3), padding=1, use_bias=False, dtype=self.dtype)(y)
        return x + nn.InstanceNorm(dtype=self.dtype)(y)


class Generator(nn.Module):
    """Residual refiner (MGGR Eq. 6-7), returning the refined patch ``x^_b``.

    Paper silent on the layers; we use PRGAN's generator layout (its
    baseline): conv7 stem, ``len(features) - 1`` stride-2 downsamplings,
    ``num_blocks`` residual blocks, matching upsamplings, conv7 to 3
    channels with tanh. Inputs are concatenated channel-wise: ``x~_b``,
    ``x_a`` (both mapped to [-1, 1]), the tiled normalised head pose and
    ``Delta r_s`` at full resolution.

    With ``residual=True`` the tanh output is ``R`` (differences of [0, 1]
    images lie in [-1, 1]) and the last conv starts at zero, so training
    starts from ``x^_b = x~_b``; the output is not clipped, to keep the
    gradient, so it may leave [0, 1] slightly. With ``residual=False`` (the
    paper's "no residual" ablation, Fig. 6 B) the output is the image itself,
    ``(tanh + 1) / 2``.

    Attributes:
      features: channels per scale, full resolution first.
      num_blocks: residual blocks at the lowest scale.
      angle_scale_deg, use_gazemap: see ``gazemap.guidance``.
      residual: learn ``R`` (True) or the image (False).
      dtype: compute dtype (parameters stay float32; the output is float32).

    Call: coarse, source (N, H, W, 3) in [0, 1]; head_pose, source_gaze,
      target_gaze (N, 2) radians -> (N, H, W, 3).
    """

    features: Sequence[int] = (64, 128, 256)
    num_blocks: int = 6
    angle_scale_deg: Sequence[float] = (20.0, 30.0)
    use_gazemap: bool = True
    residual: bool = True
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, coarse, source, head_pose, source_gaze, target_gaze):
        n, h, w, _ = coarse.shape
        condition = guidance(
            source_gaze, target_gaze, h, w, self.angle_scale_deg, self.use_gazemap
        )
        pose = tile(normalize_angles(head_pose, self.angle_scale_deg), h, w)
        x = jnp.concatenate([2.0 * coarse - 1.0, 2.0 * source - 1.0, pose, condition], axis=-1)
        x = ConvNormRelu(self.features[0], kernel=7, dtype=self.dtype)(x)
        for width in self.features[1:]:
            x = ConvNormRelu(width, kernel=4, stride=2, dtype=self.dtype)(x)
        for _ in range(self.num_blocks):
            x = ResidualBlock(dtype=self.dtype)(x)
        for width in reversed(self.features[:-1]):
            x = UpConvNormRelu(width, dtype=self.dtype)(x)
        init = nn.initializers.zeros if self.residual else nn.initializers.lecun_normal()
        out = nn.Conv(3, (7, 7), padding=3, kernel_init=init, dtype=self.dtype, name="out")(x)
        out = jnp.tanh(out.astype(jnp.float32))
        return coarse + out if self.residual else (out + 1.0) / 2.0
