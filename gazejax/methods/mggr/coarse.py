"""MGGR-C, the coarse branch: ``f_{a->b} = Dec(Enc(x_a, h), Delta r_s)`` (MGGR Eq. 1-2).

An encoder reads the source eye patch and the head pose; a decoder, given the
multimodal guidance ``Delta r_s`` at every scale (Fig. 2), predicts a dense
flow that warps the source patch into the coarse output ``x~_b``.
"""

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from gazejax.methods.mggr.gazemap import guidance, normalize_angles
from gazejax.methods.mggr.layers import ConvNormRelu, UpConvNormRelu, tile
from gazejax.nn.flow_warp import flow_warp


class Encoder(nn.Module):
    """``Enc(x_a, h)``: eye patch and head pose -> latent feature map.

    Paper silent on the layers; we use a 3x3 stem and ``len(features) - 1``
    stride-2 4x4 convolutions, each with instance norm and ReLU. The head
    pose enters as two constant channels (normalised like the gaze).

    Attributes:
      features: channels per scale, full resolution first.
      angle_scale_deg: (pitch, yaw) normalisation, see ``normalize_angles``.

    Call: patch (N, H, W, 3) in [0, 1], head_pose (N, 2) radians ->
      (N, H / 2^(S-1), W / 2^(S-1), features[-1]) with S = len(features).
    """

    features: Sequence[int]
    angle_scale_deg: Sequence[float]
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, patch, head_pose):
        n, h, w, _ = patch.shape
        pose = tile(normalize_angles(head_pose, self.angle_scale_deg), h, w)
        x = jnp.concatenate([2.0 * patch - 1.0, pose], axis=-1)
        x = ConvNormRelu(self.features[0], dtype=self.dtype)(x)
        for width in self.features[1:]:
            x = ConvNormRelu(width, kernel=4, stride=2, dtype=self.dtype)(x)
        return x


class Decoder(nn.Module):
    """``Dec(z, Delta r_s)``: latent map + guidance at every scale -> flow or image.

    Before each block the guidance of that resolution is concatenated (Fig. 2:
    "Delta r_s is concatenated into different scales of Dec"). Paper silent on
    the blocks; we use nearest-upsample + 3x3 conv blocks and no skip
    connections from the encoder (Fig. 2 passes only the latent code).

    The flow head is zero-initialised and bounded: ``max_flow * tanh(.)``
    pixels, so training starts from the identity warp and cannot fold the
    patch arbitrarily. With ``predict_flow=False`` (the paper's "no flow"
    ablation, Fig. 6 C) the head outputs the image itself through a sigmoid.

    Attributes:
      features: channels per scale, full resolution first (as the encoder's).
      angle_scale_deg, use_gazemap: see ``gazemap.guidance``.
      predict_flow: flow head (True) or direct image head (False).
      max_flow: largest displacement in pixels.

    Call: latent (N, h, w, C), source_gaze, target_gaze (N, 2) radians ->
      (N, h * 2^(S-1), w * 2^(S-1), 2) flow (row, col) in pixels, or
      (..., 3) image in [0, 1] without flow.
    """

    features: Sequence[int]
    angle_scale_deg: Sequence[float]
    use_gazemap: bool = True
    predict_flow: bool = True
    max_flow: float = 8.0
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, latent, source_gaze, target_gaze):
        def with_guidance(x):
            g = guidance(
                source_gaze, target_gaze, x.shape[1], x.shape[2],
                self.angle_scale_deg, self.use_gazemap,
            )
            return jnp.concatenate([x, g], axis=-1)

        x = ConvNormRelu(self.features[-1], dtype=self.dtype)(with_guidance(latent))
        for width in reversed(self.features[:-1]):
            x = UpConvNormRelu(width, dtype=self.dtype)(with_guidance(x))
        x = ConvNormRelu(self.features[0], dtype=self.dtype)(with_guidance(x))
        if not self.predict_flow:
            image = nn.Conv(3, (3, 3), padding=1, dtype=self.dtype, name="image_head")(x)
            return jax.nn.sigmoid(image.astype(jnp.float32))
        raw = nn.Conv(2, (3, 3), padding=1, kernel_init=nn.initializers.zeros, dtype=self.dtype,
                      name="flow_head")(x)
        # float32 from here: the flow's sub-pixel part is what moves the iris
        return self.max_flow * jnp.tanh(raw.astype(jnp.float32))


class CoarseModel(nn.Module):
    """MGGR-C: ``x~_b = BS(x_a, Dec(Enc(x_a, h), Delta r_s))`` (Eq. 1-2).

    Attributes:
      features: encoder/decoder channels per scale, full resolution first.
      angle_scale_deg, use_gazemap: see ``gazemap.guidance``.
      predict_flow, max_flow: see :class:`Decoder`.
      dtype: compute dtype (parameters stay float32; outputs are float32).

    Call: source patch (N, H, W, 3) in [0, 1], head_pose, source_gaze,
      target_gaze (N, 2) radians -> dict(image=(N, H, W, 3) coarse output,
      flow=(N, H, W, 2) pixels; zeros without flow). H and W must be
      divisible by 2^(len(features) - 1).
    """

    features: Sequence[int] = (32, 64, 128, 256)
    angle_scale_deg: Sequence[float] = (20.0, 30.0)
    use_gazemap: bool = True
    predict_flow: bool = True
    max_flow: float = 8.0
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    @nn.compact
    def __call__(self, patch, head_pose, source_gaze, target_gaze):
        latent = Encoder(self.features, self.angle_scale_deg, dtype=self.dtype)(patch, head_pose)
        out = Decoder(
            self.features, self.angle_scale_deg, self.use_gazemap,
            self.predict_flow, self.max_flow, dtype=self.dtype,
        )(latent, source_gaze, target_gaze)
        if not self.predict_flow:
            return dict(image=out, flow=jnp.zeros(patch.shape[:3] + (2,), patch.dtype))
        return dict(image=flow_warp(patch, out), flow=out)
