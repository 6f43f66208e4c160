"""Mapping for LPIPS-VGG v0.1.

Accepts a full ``lpips.LPIPS(net='vgg').state_dict()`` (``net.sliceK.N`` VGG
keys, ``linK.model.1.weight``, ``scaling_layer.shift/scale``), or the
linear-weights file shipped in the lpips wheel
(``lpips/weights/v0.1/vgg.pth``, ``lin*`` keys only) together with a
torchvision VGG16 state_dict passed as ``--backbone`` (``features.N`` keys).
The ScalingLayer buffers are constants of the model; a file whose values
differ is rejected.
"""

import re

import jax.numpy as jnp
import numpy as np

from gazejax.convert.state_dict import ConversionError
from gazejax.convert.vgg16 import vgg_layer
from gazejax.models.lpips import LPIPS, SCALING_SCALE, SCALING_SHIFT

NETWORK = "lpips"
IGNORED = (r"scaling_layer\.(shift|scale)", r"classifier\..*")


def module_path(prefix):
    m = re.fullmatch(r"lin([0-4])\.model\.1", prefix)
    if m:
        return (f"lin{m.group(1)}",)
    m = re.fullmatch(r"(?:net\.slice[1-5]|features)\.(\d+)", prefix)
    layer = m and vgg_layer(m.group(1))
    return ("vgg", layer) if layer else None


def describe(state_dict, options):
    del options
    for name, expected in (("shift", SCALING_SHIFT), ("scale", SCALING_SCALE)):
        value = state_dict.get(f"scaling_layer.{name}")
        if value is not None and not np.allclose(value.reshape(-1), expected, atol=1e-6):
            raise ConversionError(
                f"scaling_layer.{name} is {value.reshape(-1).tolist()}, LPIPS v0.1 uses {list(expected)}"
            )
    return {"version": "0.1", "net": "vgg"}


def build(info):
    del info
    return LPIPS()


def example_inputs(info):
    del info
    return (jnp.zeros((1, 32, 32, 3)), jnp.zeros((1, 32, 32, 3)))
