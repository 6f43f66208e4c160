"""Mapping for GazeNeRF's VGG16 functional-loss estimator (``epoch_60_512_ckpt.pth.tar``).

Keys: ``vgg16.N`` (torchvision VGG16 ``features`` indices), ``FC1``,
``FC2``, ``FC3``.
"""

import re

import jax.numpy as jnp

from gazejax.convert.vgg16 import vgg_layer
from gazejax.models.gazenerf_estimator import INPUT_SIZE, GazeNeRFEstimator

NETWORK = "gazenerf-vgg-estimator"
IGNORED = ()


def module_path(prefix):
    if prefix in ("FC1", "FC2", "FC3"):
        return (prefix,)
    m = re.fullmatch(r"vgg16\.(\d+)", prefix)
    layer = m and vgg_layer(m.group(1))
    return ("vgg", layer) if layer else None


def describe(state_dict, options):
    del state_dict
    return {"convention": options.get("convention") or "gazenerf", "input_size": INPUT_SIZE}


def build(info):
    del info
    return GazeNeRFEstimator()


def example_inputs(info):
    del info
    return (jnp.zeros((1, 32, 32, 3)),)
