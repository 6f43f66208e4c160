"""EG3D's ``TriPlaneGenerator`` (Chan et al., CVPR 2022, §3-4, Fig. 2).

``G(z, c_cond, c_render)``: the mapping network turns the latent ``z`` and
the conditioning camera ``c_cond`` (generator pose conditioning; swappable
in training, see :mod:`.schedules`) into ``ws``; the backbone draws three
32-channel feature planes; rays of the rendering camera ``c_render`` are
rendered through the tri-plane field and the OSG decoder at the neural
rendering resolution (two-pass renderer of :mod:`gazejax.render.eg3d_renderer`);
the super-resolution module lifts the raw render to the output resolution.

Outputs, EG3D's ranges (the method maps images to [0, 1] at its borders):
``image (N, S, S, 3)`` and ``image_raw (N, r, r, 3)`` in [-1, 1],
``image_depth (N, r, r, 1)`` in world units along the ray.

State-dict mapping of a released ``G_ema`` (``backbone.mapping.*``,
``backbone.synthesis.*``, ``decoder.net.{0,2}.*``, ``superresolution.block{0,1}.*``)
is in :mod:`gazejax.convert.eg3d`.
"""

from typing import Any

import flax.linen as nn
import jax.numpy as jnp

from gazejax.geometry import eg3d_rays
from gazejax.methods.eg3d.backbone import SynthesisNetwork, num_ws
from gazejax.methods.eg3d.mapping import MappingNetwork
from gazejax.render.eg3d_renderer import render, triplane_field
from gazejax.render.osg_decoder import OSGDecoder
from gazejax.render.superresolution import SuperresolutionHybrid
from gazejax.render.triplane import planes_from_channels

N_PLANES = 3
CAMERA_LABEL_SIZE = 25


class StyleGAN2Backbone(nn.Module):
    """EG3D ``StyleGAN2Backbone``: the mapping network and the tri-plane synthesis network.

    Attributes:
      z_dim, c_dim, w_dim: latent, camera label and style widths (512, 25, 512).
      mapping_layers: FC layers of the mapping (EG3D ``--map-depth``: 2).
      resolution: plane resolution (256).
      plane_channels: channels per plane (32).
      channel_base, channel_max: StyleGAN2 channel rule.
      conv_clamp: synthesis conv clamp, None = none.
      dtype: compute dtype of the synthesis network (the mapping network computes in float32).
    """

    z_dim: int = 512
    c_dim: int = CAMERA_LABEL_SIZE
    w_dim: int = 512
    mapping_layers: int = 2
    resolution: int = 256
    plane_channels: int = 32
    channel_base: int = 32768
    channel_max: int = 512
    conv_clamp: float | None = None
    dtype: Any = jnp.float32

    def setup(self):
        self.mapping = MappingNetwork(self.z_dim, self.c_dim, self.w_dim, num_ws(self.resolution),
                                      num_layers=self.mapping_layers)
        self.synthesis = SynthesisNetwork(self.resolution, N_PLANES * self.plane_channels,
                                          self.channel_base, self.channel_max, self.conv_clamp, dtype=self.dtype)

    def __call__(self, z, c, noise_mode="random"):
        """``(N, z_dim), (N, c_dim) -> (N, 3, R, R, plane_channels)``."""
        return self.planes(self.mapping(z, c), noise_mode)

    def planes(self, ws, noise_mode="random"):
        return planes_from_channels(self.synthesis(ws, noise_mode), N_PLANES)


class TriPlaneGenerator(nn.Module):
    """``z (N, z_dim), c_cond (N, 25), c_render (N, 25) -> {image, image_raw, image_depth}``.

    Attributes:
      backbone: the :class:`StyleGAN2Backbone` settings, as a dict of its attributes.
      decoder_hidden: OSG decoder hidden width (64).
      decoder_lr_multiplier: EG3D ``decoder_lr_mul`` (1).
      sr_variant: super-resolution layout (``'8XDC'``: 128 -> 512; ``'2X'``: 64 -> 128).
      sr_widths: optional (block0, block1) channel override for small models.
      sr_conv_clamp, sr_antialias: super-resolution settings (256, True).
      neural_rendering_resolution: default raw render side r (EG3D: 64, 128 at the end).
      ray_start, ray_end: near/far depth (2.25, 3.3) or both ``'auto'``.
      n_coarse, n_fine: samples per ray of the two passes (48, 48).
      box_warp: side of the cube the planes cover (1).
      chunk_rays: rays rendered at a time, None = all.
      c_scale: multiplier of the conditioning label (1; 0 = no pose conditioning).
      dtype: compute dtype of the synthesis network, the decoder and the super-resolution
        (parameters stay float32; the mapping, the volume rendering and the outputs are float32).
    """

    backbone: dict
    decoder_hidden: int = 64
    decoder_lr_multiplier: float = 1.0
    sr_variant: str = "8XDC"
    sr_widths: tuple | None = None
    sr_conv_clamp: float | None = 256.0
    sr_antialias: bool = True
    neural_rendering_resolution: int = 64
    ray_start: float | str = 2.25
    ray_end: float | str = 3.3
    n_coarse: int = 48
    n_fine: int = 48
    box_warp: float = 1.0
    chunk_rays: int | None = None
    c_scale: float = 1.0
    dtype: Any = jnp.float32

    def setup(self):
        self.stylegan = StyleGAN2Backbone(**self.backbone, dtype=self.dtype, name="backbone")
        self.decoder = OSGDecoder(self._plane_channels, self.decoder_hidden, self.decoder_lr_multiplier,
                                  dtype=self.dtype)
        self.superresolution = SuperresolutionHybrid(self.sr_variant, self.sr_conv_clamp, self.sr_antialias,
                                                     self.sr_widths)

    @property
    def _plane_channels(self):
        return self.backbone.get("plane_channels", 32)

    def __call__(self, z, c_cond, c_render, render_key=None, *, truncation_psi=1.0, truncation_cutoff=None,
                 neural_rendering_resolution=None, noise_mode="random", update_emas=False):
        ws = self.mapping(z, c_cond, truncation_psi, truncation_cutoff, update_emas)
        return self.synthesis(ws, c_render, render_key, neural_rendering_resolution=neural_rendering_resolution,
                              noise_mode=noise_mode)

    def mapping(self, z, c, truncation_psi=1.0, truncation_cutoff=None, update_emas=False):
        """``(N, z_dim), (N, 25) -> ws (N, num_ws, w_dim)``."""
        return self.stylegan.mapping(z, c * self.c_scale, truncation_psi, truncation_cutoff, update_emas)

    def synthesis(self, ws, c, render_key=None, *, neural_rendering_resolution=None, noise_mode="random"):
        """Renders ``ws`` from camera ``c (N, 25)``; ``render_key`` None = deterministic ray samples."""
        if c.ndim != 2 or c.shape[-1] != CAMERA_LABEL_SIZE:
            raise ValueError(f"camera labels must be (N, {CAMERA_LABEL_SIZE}), got {c.shape}")
        r = neural_rendering_resolution or self.neural_rendering_resolution
        planes = self.stylegan.planes(ws, noise_mode)
        origins, dirs = eg3d_rays(c, r)
        out = render(self._field(planes), origins, dirs, render_key, ray_start=self.ray_start,
                     ray_end=self.ray_end, n_coarse=self.n_coarse, n_fine=self.n_fine, box_side=self.box_warp,
                     chunk_rays=self.chunk_rays)
        n = ws.shape[0]
        features = out["rgb"].reshape(n, r, r, -1) * 2 - 1
        depth = out["depth"].reshape(n, r, r, 1)
        rgb = features[..., :3]
        image = self.superresolution(rgb.astype(self.dtype), features.astype(self.dtype), ws,
                                     noise_mode="none").astype(jnp.float32)
        return {"image": image, "image_raw": rgb, "image_depth": depth}

    def planes(self, ws, noise_mode="const"):
        """``ws (N, num_ws, w_dim)`` -> tri-planes ``(N, 3, R, R, plane_channels)``."""
        return self.stylegan.planes(ws, noise_mode)

    def depth(self, planes, c, neural_rendering_resolution=None):
        """Expected ray depth ``(N, r, r)`` through tri-``planes`` from camera ``c (N, 25)``.

        Only the decoder's parameters are read (no backbone, no
        super-resolution); the ray samples are deterministic.
        """
        r = neural_rendering_resolution or self.neural_rendering_resolution
        origins, dirs = eg3d_rays(c, r)
        out = render(self._field(planes), origins, dirs, None, ray_start=self.ray_start, ray_end=self.ray_end,
                     n_coarse=self.n_coarse, n_fine=self.n_fine, box_side=self.box_warp, chunk_rays=self.chunk_rays)
        return out["depth"].reshape(c.shape[0], r, r)

    def sigma(self, points, ws, noise_mode="random"):
        """Raw density (before the marcher's softplus) at world ``points (N, M, 3)``: ``(N, M, 1)``."""
        planes = self.stylegan.planes(ws, noise_mode)
        return self._field(planes)(points, None)[1]

    def _field(self, planes):
        if self.is_initializing():
            self.decoder(jnp.zeros((1, 1, self._plane_channels), planes.dtype))
        # the renderer maps and checkpoints over ray chunks, so it takes the decoder as a pure function
        unbound = OSGDecoder(self._plane_channels, self.decoder_hidden, self.decoder_lr_multiplier,
                             dtype=self.dtype, parent=None)
        # the planes are computed here, by a FIR filter XLA:CPU would re-run for every tap read
        return triplane_field(unbound, {"params": self.decoder.variables["params"]}, planes, self.box_warp,
                              plane_by_plane=True)

