"""EG3D's super-resolution modules (EG3D §4.1 'super-resolution', ``superresolution.py``).

Two StyleGAN2 'skip' synthesis blocks lift the neural render (raw RGB plus
feature image, EG3D's [-1, 1] range) to the output resolution; both blocks
are modulated by the generator's last w, repeated (``ws[:, -1:]`` x 3).
Inputs at another resolution are first resized to ``input_resolution``
(bilinear, antialiased, half-pixel centres, as torch ``interpolate``).

=========  =====  =========================================  ==========
variant    input  block0 (channels, x2?, resolution)         block1
=========  =====  =========================================  ==========
``8XDC``   128    256, x2, 256                               128 @ 512
``4X``     128    128, no x2 (``SynthesisBlockNoUp``), 128   64 @ 256
``2X``      64    128, no x2 (``SynthesisBlockNoUp``), 64    64 @ 128
=========  =====  =========================================  ==========

EG3D runs these blocks in fp16 with ``conv_clamp=256`` (the default here;
the clamp also applies in fp32). ``4X`` only resizes *smaller* inputs, as in
EG3D. State-dict keys (``superresolution.`` prefix): ``block0.*`` and
``block1.*`` map to ``block0/...`` and ``block1/...`` as in
:mod:`gazejax.nn.stylegan2.synthesis`.
"""

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp

from gazejax.nn.stylegan2 import SynthesisBlock

# variant: (input_resolution, (channels, upsample, resolution), (channels, resolution), resize_smaller_only)
LAYOUTS = {
    "8XDC": (128, (256, True, 256), (128, 512), False),
    "4X": (128, (128, False, 128), (64, 256), True),
    "2X": (64, (128, False, 64), (64, 128), False),
}


class SuperresolutionHybrid(nn.Module):
    """``rgb (N, h, h, 3), features (N, h, h, C), ws (N, num_ws, w_dim) -> rgb (N, R, R, 3)``.

    Attributes:
      variant: a key of ``LAYOUTS``.
      conv_clamp: clamp of every conv output (EG3D: 256), None = none.
      antialias: antialias the input resize (EG3D ``sr_antialias``, True).
      widths: optional (block0, block1) channel override, for tiny test models.
    """

    variant: str = "8XDC"
    conv_clamp: float | None = 256.0
    antialias: bool = True
    widths: tuple[int, int] | None = None

    @nn.compact
    def __call__(self, rgb, features, ws, noise_mode="none"):
        if self.variant not in LAYOUTS:
            raise ValueError(f"unknown super-resolution variant {self.variant!r}; one of {list(LAYOUTS)}")
        if rgb.ndim != 4 or features.ndim != 4 or rgb.shape[:3] != features.shape[:3]:
            raise ValueError(
                f"superresolution: rgb and features must be NHWC of equal size, got {rgb.shape}, {features.shape}"
            )
        if ws.ndim != 3:
            raise ValueError(f"superresolution: ws must be (N, num_ws, w_dim), got {ws.shape}")
        res, (c0, up0, res0), (c1, res1), smaller_only = LAYOUTS[self.variant]
        c0, c1 = self.widths or (c0, c1)
        size = features.shape[1]
        if size < res or (size != res and not smaller_only):
            rgb, features = self._resize(rgb, res), self._resize(features, res)
        ws = jnp.repeat(ws[:, -1:], 3, axis=1)
        block = functools.partial(SynthesisBlock, conv_clamp=self.conv_clamp)
        x, img = block(features.shape[-1], c0, res0, upsample=up0, name="block0")(features, rgb, ws, noise_mode)
        _, img = block(c0, c1, res1, name="block1")(x, img, ws, noise_mode)
        return img

    def _resize(self, x, size):
        shape = (x.shape[0], size, size, x.shape[-1])
        return jax.image.resize(x, shape, method="bilinear", antialias=self.antialias)


SuperresolutionHybrid8XDC = functools.partial(SuperresolutionHybrid, variant="8XDC")
SuperresolutionHybrid4X = functools.partial(SuperresolutionHybrid, variant="4X")
SuperresolutionHybrid2X = functools.partial(SuperresolutionHybrid, variant="2X")
