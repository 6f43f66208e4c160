"""StyleGAN2 synthesis layers and blocks (Karras et al., CVPR 2020, Fig. 2d and §4.1 'skip' generator).

State-dict mapping for EG3D ``networks_stylegan2.py`` (``affine`` is an
:class:`~gazejax.nn.stylegan2.equalized.EqualizedDense`, see its table):

==============================  ====================================  ==========================
torch key                       flax variable                         conversion
==============================  ====================================  ==========================
``SynthesisLayer``
``affine.weight`` / ``.bias``   ``params/affine/kernel`` / ``bias``   ``w.T`` / as is
``weight`` (O, I, k, k)         ``params/kernel`` (k, k, I, O)        ``w.transpose(2, 3, 1, 0)``
``bias`` (O,)                   ``params/bias``                       as is
``noise_strength`` ()           ``params/noise_strength``             as is
``noise_const`` (R, R)          ``constants/noise_const`` (R, R)      as is
``ToRGBLayer``
``affine.*``, ``weight``,       same names as ``SynthesisLayer``      same
``bias``
``SynthesisBlock``
``conv0.*``, ``conv1.*``,       ``conv0/...``, ``conv1/...``,         per layer
``torgb.*``                     ``torgb/...``
``const`` (C, R, R)             ``params/const`` (R, R, C)            ``c.transpose(1, 2, 0)``
==============================  ====================================  ==========================

``resample_filter`` buffers are not variables (rebuilt from the taps).

Noise (``noise_mode``): ``'random'`` draws per-pixel N(0, 1) noise from the
``'noise'`` rng stream (``apply(..., rngs={'noise': key})``), ``'const'``
uses the stored ``noise_const``, ``'none'`` adds nothing (EG3D's
super-resolution default).
"""

from typing import Any, Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from gazejax.nn.stylegan2.bias_act import ACTIVATIONS, bias_act
from gazejax.nn.stylegan2.equalized import EqualizedDense
from gazejax.nn.stylegan2.modulated_conv import modulated_conv2d
from gazejax.nn.stylegan2.upfirdn import DEFAULT_FILTER, setup_filter, upsample2d

NOISE_MODES = ("random", "const", "none")


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv + noise + bias + lrelu: ``(N, R/up, R/up, I), (N, w_dim) -> (N, R, R, O)``.

    Attributes:
      features: output channels O.
      resolution: output resolution R (size of ``noise_const``).
      kernel_size: square kernel side.
      up: 1 or 2.
      use_noise: whether the layer has noise variables.
      activation: name in ``bias_act.ACTIVATIONS``.
      resample_filter: 1-D FIR taps for ``up=2``.
      conv_clamp: output clamp (times ``gain``), None = none; EG3D uses 256 where it runs fp16.
    """

    features: int
    resolution: int
    kernel_size: int = 3
    up: int = 1
    use_noise: bool = True
    activation: str = "lrelu"
    resample_filter: Sequence[int] = DEFAULT_FILTER
    conv_clamp: float | None = None

    @nn.compact
    def __call__(self, x, w, noise_mode="random", gain=1.0):
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        in_channels, k = x.shape[-1], self.kernel_size
        styles = EqualizedDense(in_channels, bias_init=1.0, name="affine")(w)
        kernel = self.param("kernel", nn.initializers.normal(1.0), (k, k, in_channels, self.features))
        noise = None
        if self.use_noise:
            const = self.variable(
                "constants", "noise_const",
                lambda: jax.random.normal(self.make_rng("params"), (self.resolution,) * 2),
            ).value
            strength = self.param("noise_strength", nn.initializers.zeros, ())
            if noise_mode == "random":
                shape = (x.shape[0], self.resolution, self.resolution, 1)
                noise = jax.random.normal(self.make_rng("noise"), shape, x.dtype) * strength
            elif noise_mode == "const":
                noise = (const * strength)[None, :, :, None]
        x = modulated_conv2d(
            x, kernel, styles, noise=noise, up=self.up, padding=k // 2,
            resample_filter=setup_filter(self.resample_filter),
        )
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        act_gain = ACTIVATIONS[self.activation][1] * gain
        clamp = None if self.conv_clamp is None else self.conv_clamp * gain
        return bias_act(x, bias, act=self.activation, gain=act_gain, clamp=clamp)


class ToRGBLayer(nn.Module):
    """Modulated 1x1 conv without demodulation: ``(N, R, R, I), (N, w_dim) -> (N, R, R, features)``.

    Attributes:
      features: output (image) channels.
      kernel_size: square kernel side (1 in StyleGAN2).
      conv_clamp: output clamp, None = none.
    """

    features: int
    kernel_size: int = 1
    conv_clamp: float | None = None

    @nn.compact
    def __call__(self, x, w):
        in_channels, k = x.shape[-1], self.kernel_size
        weight_gain = 1.0 / np.sqrt(in_channels * k * k)
        styles = EqualizedDense(in_channels, bias_init=1.0, name="affine")(w) * weight_gain
        kernel = self.param("kernel", nn.initializers.normal(1.0), (k, k, in_channels, self.features))
        x = modulated_conv2d(x, kernel, styles, padding=k // 2, demodulate=False)
        bias = self.param("bias", nn.initializers.zeros, (self.features,))
        return bias_act(x, bias, clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
    """One resolution of the 'skip' synthesis network (EG3D ``SynthesisBlock`` / ``SynthesisBlockNoUp``).

    ``x (N, R/u, R/u, I), img (N, R/u, R/u, C) or None, ws (N, num_ws, w_dim)
    -> x (N, R, R, O), img (N, R, R, C)`` with ``u = 2`` if ``upsample`` else 1.
    ``num_ws`` = 3 (conv0, conv1, torgb), or 2 for the first block
    (``in_channels == 0``: a learned constant ``const`` replaces ``x``).

    Attributes:
      in_channels: input channels, 0 for the first block.
      features: output channels O.
      resolution: output resolution R.
      img_channels: image channels C.
      upsample: False gives EG3D's ``SynthesisBlockNoUp`` (no x2 in conv0 or img).
      resample_filter: 1-D FIR taps.
      conv_clamp: clamp of every conv output, None = none.
      dtype: compute dtype of the first block's learned constant input; every
        layer computes in the dtype of its input (the parameters stay float32).
    """

    in_channels: int
    features: int
    resolution: int
    img_channels: int = 3
    upsample: bool = True
    resample_filter: Sequence[int] = DEFAULT_FILTER
    conv_clamp: float | None = None
    dtype: Any = jnp.float32

    @property
    def num_ws(self):
        return 2 if self.in_channels == 0 else 3

    @nn.compact
    def __call__(self, x, img, ws, noise_mode="random"):
        if ws.ndim != 3 or ws.shape[1] != self.num_ws:
            raise ValueError(f"SynthesisBlock expects ws of shape (N, {self.num_ws}, w_dim), got {ws.shape}")
        up = 2 if self.upsample else 1
        layer = dict(resolution=self.resolution, resample_filter=self.resample_filter,
                     conv_clamp=self.conv_clamp)
        if self.in_channels == 0:
            const = self.param("const", nn.initializers.normal(1.0),
                               (self.resolution, self.resolution, self.features))
            x = jnp.broadcast_to(const.astype(self.dtype), (ws.shape[0],) + const.shape)
            x = SynthesisLayer(self.features, name="conv1", **layer)(x, ws[:, 0], noise_mode)
        else:
            x = SynthesisLayer(self.features, up=up, name="conv0", **layer)(x, ws[:, 0], noise_mode)
            x = SynthesisLayer(self.features, name="conv1", **layer)(x, ws[:, 1], noise_mode)
        if img is not None and self.upsample:
            img = upsample2d(img, setup_filter(self.resample_filter))
        y = ToRGBLayer(self.img_channels, conv_clamp=self.conv_clamp, name="torgb")(x, ws[:, -1])
        img = y if img is None else img + y
        return x, img
