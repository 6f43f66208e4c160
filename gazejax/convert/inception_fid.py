"""Mapping for the FID Inception (``pt_inception-2015-12-05-6726825d.pth``, pytorch-fid's port).

Keys: ``Conv2d_1a_3x3.conv.weight``, ``Mixed_5b.branch5x5_2.bn.running_var``,
... -> the same names under ``inception`` (``gazejax.nn.inception``). The
1008-way classifier (``fc.*``) plays no part in FID and is ignored.
"""

import re

import jax.numpy as jnp

from gazejax.convert.state_dict import ConversionError
from gazejax.models.fid_inception import INPUT_SIZE, FIDFeatures

NETWORK = "inception-fid"
IGNORED = (r"fc\..*",)


def module_path(prefix):
    if re.fullmatch(r"(Conv2d_\w+|Mixed_\w+)(\.\w+)*", prefix):
        return ("inception", *prefix.split("."))
    return None


def describe(state_dict, options):
    del options
    if "Mixed_7c.branch_pool.conv.weight" not in state_dict:
        raise ConversionError("not an Inception-v3 checkpoint: no Mixed_7c.branch_pool.conv.weight key")
    return {"input_size": INPUT_SIZE}


def build(info):
    return FIDFeatures(resize_to=info["input_size"])


def example_inputs(info):
    del info
    return (jnp.zeros((1, 75, 75, 3)),)
