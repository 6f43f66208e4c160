"""EG3D's tri-plane decoder (``OSGDecoder`` in ``triplane.py``; EG3D §3.1, Fig. 2).

``features (N, M, C)`` (tri-plane samples, already averaged over the planes)
-> equalized-lr FC(C -> 64) -> softplus -> FC(64 -> 1 + out) ->
``sigma = out[..., :1]`` (raw; the ray marcher applies softplus(sigma - 1)) and
``rgb = sigmoid(out[..., 1:]) * 1.002 - 0.001`` (``out`` feature channels, the
first three are the raw image). View directions are ignored, as in EG3D.

State-dict mapping (``decoder.`` prefix in EG3D checkpoints):

=====================  ======================  ===========
torch key              flax param              conversion
=====================  ======================  ===========
``net.0.weight`` (H,C) ``net_0/kernel`` (C,H)  ``w.T``
``net.0.bias``         ``net_0/bias``          as is
``net.2.weight``       ``net_2/kernel``        ``w.T``
``net.2.bias``         ``net_2/bias``          as is
=====================  ======================  ===========
"""

import flax.linen as nn
import jax

from gazejax.nn.stylegan2 import EqualizedDense

# EG3D widens the sigmoid slightly so that 0 and 1 are reachable.
SIGMOID_PAD = 0.001


class OSGDecoder(nn.Module):
    """``(N, M, C) -> (rgb (N, M, out_features), sigma (N, M, 1))``.

    Attributes:
      out_features: colour-feature channels (EG3D: 32).
      hidden: hidden width (EG3D: 64).
      lr_multiplier: EG3D's ``decoder_lr_mul`` (FFHQ: 1).
    """

    out_features: int = 32
    hidden: int = 64
    lr_multiplier: float = 1.0

    @nn.compact
    def __call__(self, features):
        x = EqualizedDense(self.hidden, lr_multiplier=self.lr_multiplier, name="net_0")(features)
        x = jax.nn.softplus(x)
        x = EqualizedDense(1 + self.out_features, lr_multiplier=self.lr_multiplier, name="net_2")(x)
        rgb = jax.nn.sigmoid(x[..., 1:]) * (1 + 2 * SIGMOID_PAD) - SIGMOID_PAD
        return rgb, x[..., :1]
