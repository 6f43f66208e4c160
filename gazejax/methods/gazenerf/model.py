"""The GazeNeRF network (Ruzzi et al., CVPR 2023; paper Sec. 3.2, Fig. 2).

Two MLP streams (face-only, eyes) conditioned on the shape code and the
gaze, volume-rendered between world-z planes into feature maps with a
learnable background map; the eye map is rotated by the gaze rotation and
merged with the face map by an element-wise max; one neural renderer turns
the face, eye and merged maps (and the background map) into images.

Variants of the paper's Table 3 are two switches: ``two_stream`` (False =
vanilla: one MLP, gaze concatenated) and ``rotate_eyes`` (for a single
stream the rotation applies to its whole map, "vanilla+rotation").
Parameter names follow the reference state_dict (see
:mod:`gazejax.convert.gazenerf`).
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from gazejax.geometry import to_gazenerf
from gazejax.methods.gazenerf.eye_rotation import merge_features, rotate_features
from gazejax.methods.gazenerf.mlp import NerfMLP
from gazejax.methods.gazenerf.positional_encoding import positional_encoding
from gazejax.nn.chunks import from_chunks, to_chunks
from gazejax.render.neural_renderer import NeuralRenderer
from gazejax.render.zplane import composite, pixel_directions, zplane_samples

IMAGE_NAMES = ("face", "eyes", "merged")


def _stream_chunk(mlp, carry, points, condition, appearance):
    """One chunk of rays through an MLP stream, as the body of a scan."""
    return carry, mlp(points, condition, appearance)


class GazeNeRF(nn.Module):
    """Codes + gaze + camera -> face-only, eyes, whole-face and background images.

    Attributes:
      mlp_width, mlp_depth: each stream's trunk (384, 8).
      num_freqs: positional-encoding frequencies (10).
      feature_channels: feature-map channels, a multiple of 3 (258).
      featmap_size: feature-map side F (64); one ray per feature pixel.
      renderer_blocks: x2 upsampling blocks (3: 64^2 -> 512^2).
      num_samples: samples per ray (64).
      z_near, z_far: world z of the first and last sampling plane
        (GazeNeRF's 3DMM world: 2.5, -3.5).
      two_stream: separate face and eye MLPs (False: the vanilla model).
      rotate_eyes: rotate the eye (or, single stream, the only) feature map.
      chunk_rays: rays whose samples go through an MLP stream at a time (None =
        all): the chunks run in sequence and are recomputed in the backward
        pass, so a training step holds one chunk's activations instead of all
        ``F^2 x num_samples`` points' (same results, more compute).

    Call:
      shape_code ``(B, S)``, appearance_code ``(B, A)``;
      gaze ``(B, 2)`` (pitch, yaw) in OUR convention (converted here with
        :func:`gazejax.geometry.to_gazenerf`, the labels the network expects);
      cam_rotation ``(B, 3, 3)`` cam2world, cam_position ``(B, 3)``,
        inv_intrinsics ``(B, 3, 3)`` in feature-map pixels
        (:mod:`gazejax.methods.gazenerf.camera`);
      key: jitter key for train mode, None for test mode.
    Returns:
      ``{'face', 'eyes', 'merged'}`` each ``(B, R, R, 3)`` in [0, 1] with
      R = F * 2^renderer_blocks, and ``'background'`` ``(1, R, R, 3)``. A
      single-stream model returns its one image under all three names.
    """

    mlp_width: int = 384
    mlp_depth: int = 8
    num_freqs: int = 10
    feature_channels: int = 258
    featmap_size: int = 64
    renderer_blocks: int = 3
    num_samples: int = 64
    z_near: float = 2.5
    z_far: float = -3.5
    two_stream: bool = True
    rotate_eyes: bool = True
    chunk_rays: int | None = None
    dtype: Any = jnp.float32  # compute dtype (parameters stay float32)

    def setup(self):
        if self.feature_channels % 3:
            raise ValueError(f"feature_channels must be a multiple of 3, got {self.feature_channels}")
        make_mlp = lambda name: NerfMLP(  # noqa: E731
            self.mlp_width, self.mlp_depth, self.feature_channels, name=name, dtype=self.dtype
        )
        self.face_mlp = make_mlp("fg_CD_predictor_face")
        self.eyes_mlp = make_mlp("fg_CD_predictor_eyes") if self.two_stream else None
        self.renderer = NeuralRenderer(self.renderer_blocks, name="neural_render", dtype=self.dtype)
        shape = (1, self.featmap_size, self.featmap_size, self.feature_channels)
        self.bg_featmap = self.param("bg_featmap", nn.initializers.ones, shape)

    def feature_maps(self, shape_code, appearance_code, gaze, cam_rotation, cam_position,
                     inv_intrinsics, key=None):
        """The composited maps before rotation: list of ``(B, F, F, C)``, one per stream.

        Each is ``sum_i w_i f_i + bg_alpha * bg_featmap`` (same arguments as
        ``__call__``).
        """
        b, f = shape_code.shape[0], self.featmap_size
        dirs = pixel_directions(cam_rotation, inv_intrinsics, f)
        points, deltas = zplane_samples(cam_position, dirs, self.z_near, self.z_far,
                                        self.num_samples, key)
        encoded = positional_encoding(points, self.num_freqs)  # (B, N, S, P)
        condition = jnp.concatenate([shape_code, to_gazenerf(gaze)], -1)[:, None, None, :]
        appearance = appearance_code[:, None, None, :]
        maps = []
        for mlp in (self.face_mlp, self.eyes_mlp) if self.two_stream else (self.face_mlp,):
            features, density = self._stream(mlp, encoded, condition, appearance)
            feat, bg_alpha, _ = composite(density, features, deltas)
            featmap = feat.reshape(b, f, f, -1) + bg_alpha.reshape(b, f, f, 1) * self.bg_featmap
            maps.append(featmap)
        return maps

    def _stream(self, mlp, encoded, condition, appearance):
        """``mlp`` on ``encoded (B, N, S, P)``, in chunks of ``chunk_rays`` rays when set."""
        n = encoded.shape[1]
        if self.chunk_rays is not None and self.chunk_rays < 1:
            raise ValueError(f"GazeNeRF: model.chunk_rays must be positive (or None), got {self.chunk_rays}")
        if self.chunk_rays is None or self.chunk_rays >= n:
            return mlp(encoded, condition, appearance)
        # A scan, not a batched call: the chunks' recomputations in the backward pass then run one
        # after another, which is what bounds the memory.
        scan = nn.scan(nn.remat(_stream_chunk), variable_broadcast="params", split_rngs={"params": False},
                       in_axes=(0, nn.broadcast, nn.broadcast))
        _, outputs = scan(mlp, None, to_chunks(encoded, self.chunk_rays), condition, appearance)
        return tuple(from_chunks(o, n) for o in outputs)

    def __call__(self, shape_code, appearance_code, gaze, cam_rotation, cam_position,
                 inv_intrinsics, key=None):
        maps = self.feature_maps(shape_code, appearance_code, gaze, cam_rotation, cam_position,
                                 inv_intrinsics, key)
        gaze_gn = to_gazenerf(gaze)
        if self.two_stream:
            face, eyes = maps
            if self.rotate_eyes:
                eyes = rotate_features(eyes, gaze_gn)
            stacked = jnp.concatenate([face, eyes, merge_features(face, eyes), self.bg_featmap])
        else:
            (whole,) = maps
            if self.rotate_eyes:
                whole = rotate_features(whole, gaze_gn)
            stacked = jnp.concatenate([whole, self.bg_featmap])
        # One renderer pass over all maps: the weights are shared (paper Sec. 3.2).
        images = self.renderer(stacked)
        b = shape_code.shape[0]
        out = {"background": images[-1:]}
        for i, name in enumerate(IMAGE_NAMES):
            out[name] = images[i * b:(i + 1) * b] if self.two_stream else images[:b]
        return out
