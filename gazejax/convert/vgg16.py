"""Mapping for torchvision VGG16 (``vgg16-397923af.pth``): ``features.N`` -> ``vgg/<layer name>``.

The classifier (``classifier.*``) is not part of the feature extractor.
"""

import re

import jax.numpy as jnp

from gazejax.models.perceptual import VGGFeatures
from gazejax.nn.vgg import VGG16_LAYERS

NETWORK = "vgg16"
IGNORED = (r"classifier\..*",)


def vgg_layer(index):
    """``features`` index -> our layer name, or None if out of range."""
    index = int(index)
    return VGG16_LAYERS[index] if index < len(VGG16_LAYERS) else None


def module_path(prefix):
    m = re.fullmatch(r"features\.(\d+)", prefix)
    layer = m and vgg_layer(m.group(1))
    return ("vgg", layer) if layer else None


def describe(state_dict, options):
    del state_dict, options
    return {"input_size": 224}


def build(info):
    # All conv layers exist in the converted checkpoint; callers pick taps with
    # VGGFeatures(layers=...), which reuses the same variables.
    del info
    return VGGFeatures(layers=("conv5_3",), resize_to=None)


def example_inputs(info):
    del info
    return (jnp.zeros((1, 32, 32, 3)),)
