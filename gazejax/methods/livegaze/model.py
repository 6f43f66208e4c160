"""The full LiveGaze model: ``I_g, D_g = G(E_tri(F_app, F_geo), c)`` (LiveGaze paper Eqs. 1-4).

Encoding (:class:`~gazejax.methods.livegaze.tri_encoder.TriplaneEncoder`) gives a
gaze-conditioned tri-plane; rendering is EG3D's (``gazejax.render``): tri-plane
+ OSG decoder field, two-pass volume rendering of ``neural_resolution``^2 rays
from the target camera, then the super-resolution module. As in Live3D, the
super-resolution styles come from one learned constant ``w`` (1 x 1 x w_dim)
instead of a GAN mapping network. ``sr_variant='none'`` skips super-resolution
(the raw render is resized bilinearly): the tiny demo uses it.

Images are float32 NHWC in [0, 1]. EG3D's internal [-1, 1] feature images are
converted inside. Parameters split into two optimizer groups, ``encoder``
(everything under ``params['encoder']``) and ``renderer`` (the rest), as the
paper's learning rates are given per group (Sec. 4.1).
"""

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from gazejax.geometry import eg3d_rays
from gazejax.methods.livegaze.tri_encoder import TriplaneEncoder
from gazejax.render.eg3d_renderer import render, triplane_field
from gazejax.render.osg_decoder import OSGDecoder
from gazejax.render.superresolution import SuperresolutionHybrid


class LiveGaze(nn.Module):
    """``images (N, R, R, 3), gaze (N, 2), camera (N, 25)`` -> dict of renders.

    Attributes:
      encoder: the :class:`TriplaneEncoder` (sizes of the tri-plane network).
      neural_resolution: side of the volume-rendered image (EG3D: 128).
      output_resolution: side of the final image (EG3D 8XDC: 512).
      sr_variant: a key of ``gazejax.render.superresolution.LAYOUTS`` or ``'none'``.
      sr_widths: optional (block0, block1) channel override for small models.
      w_dim: width of the learned constant style vector (EG3D: 512).
      decoder_hidden: OSG decoder hidden width (EG3D: 64).
      ray_start, ray_end: depth range of the rays (EG3D FFHQ: 2.25, 3.3).
      n_coarse, n_fine: stratified and importance samples per ray (48, 48).
      box_warp: side of the cube covered by the tri-plane (1).
      chunk_rays: rays rendered at a time (None = all); bounds memory.
    """

    encoder: TriplaneEncoder
    neural_resolution: int = 128
    output_resolution: int = 512
    sr_variant: str = "8XDC"
    sr_widths: tuple | None = None
    w_dim: int = 512
    decoder_hidden: int = 64
    ray_start: float = 2.25
    ray_end: float = 3.3
    n_coarse: int = 48
    n_fine: int = 48
    box_warp: float = 1.0
    chunk_rays: int | None = None
    dtype: Any = jnp.float32  # of the tri-plane decoder and the super-resolution (the encoder has its own)

    def setup(self):
        self.decoder = OSGDecoder(
            out_features=self.encoder.triplane_channels, hidden=self.decoder_hidden, dtype=self.dtype
        )
        if self.sr_variant != "none":
            self.superresolution = SuperresolutionHybrid(self.sr_variant, widths=self.sr_widths)
            self.w = self.param("w", nn.initializers.normal(1.0), (1, 1, self.w_dim))

    def __call__(self, images, gaze, camera, key=None):
        """Redirects ``images`` to ``gaze`` (head frame) seen from ``camera``; see :meth:`render`."""
        return self.render(self.encode(images, gaze), camera, key)

    def encode(self, images, gaze):
        """``(N, R, R, 3)``, ``(N, 2)`` -> tri-plane ``(N, 3, R/2, R/2, C)``."""
        return self.encoder(images, gaze)

    def render(self, planes, camera, key=None):
        """Renders tri-planes from EG3D cameras ``(N, 25)``.

        ``key`` jitters the ray samples (training); None renders
        deterministically (evaluation, inference).

        Returns dict: ``image`` ``(N, R_out, R_out, 3)`` and ``image_raw``
        ``(N, r, r, 3)`` in [0, 1] (not clipped), ``depth`` ``(N, r, r)``
        (distance along the ray, EG3D's convention), ``opacity`` ``(N, r, r)``,
        with ``r = neural_resolution``.
        """
        r = self.neural_resolution
        origins, dirs = eg3d_rays(camera, r)
        if self.is_initializing():
            self.decoder(jnp.zeros((1, 1, planes.shape[-1]), planes.dtype))
        # The renderer maps the field over ray chunks with lax.map, where a
        # bound Flax module may not be called: pass an unbound copy + its params.
        unbound = self.decoder.clone(parent=None, name=None)
        field = triplane_field(unbound, {"params": self.decoder.variables["params"]}, planes, self.box_warp)
        out = render(
            field, origins, dirs, key, ray_start=self.ray_start, ray_end=self.ray_end,
            n_coarse=self.n_coarse, n_fine=self.n_fine, chunk_rays=self.chunk_rays,
        )
        n = planes.shape[0]
        feature_image = out["rgb"].reshape(n, r, r, -1) * 2.0 - 1.0  # EG3D's [-1, 1] range
        raw = feature_image[..., :3]
        if self.sr_variant == "none":
            size = (n, self.output_resolution, self.output_resolution, 3)
            image = jax.image.resize(raw, size, "bilinear") if size[1] != r else raw
        else:
            ws = jnp.broadcast_to(self.w, (n, 1, self.w_dim))
            # the super-resolution computes in the inputs' dtype (demodulation sums in float32)
            image = self.superresolution(raw.astype(self.dtype), feature_image.astype(self.dtype),
                                         ws).astype(jnp.float32)
        return dict(
            image=(image + 1.0) / 2.0,
            image_raw=(raw + 1.0) / 2.0,
            depth=out["depth"].reshape(n, r, r),
            opacity=out["opacity"].reshape(n, r, r),
        )
