"""Mapping for GazeNeRF's ResNet-50 evaluation estimator (``epoch_7_resnet_correct_ckpt.pth.tar``).

Keys: ``gaze_network.<torchvision ResNet-50>``, whose own ``fc`` (1000
classes) is unused by ``forward`` and ignored, and ``gaze_fc.0`` (2048 -> 4).
"""

import jax.numpy as jnp

from gazejax.convert.resnet_keys import infer_resnet_depth, resnet_module_path
from gazejax.models.xgaze_resnet import INPUT_SIZE, XGazeResNet

NETWORK = "xgaze-resnet50"
IGNORED = (r"gaze_network\.fc\..*",)
_BACKBONE = "gaze_network."


def module_path(prefix):
    if prefix == "gaze_fc.0":
        return ("gaze_fc",)
    if not prefix.startswith(_BACKBONE):
        return None
    inner = resnet_module_path(prefix[len(_BACKBONE):])
    return ("backbone", *inner) if inner else None


def describe(state_dict, options):
    depth = infer_resnet_depth(state_dict, prefix=_BACKBONE)
    return {
        "arch": f"resnet{depth}",
        "depth": depth,
        "stem_pool_stride": options.get("stem_pool_stride") or 2,
        "convention": options.get("convention") or "gazenerf",
        "input_size": INPUT_SIZE,
    }


def build(info):
    return XGazeResNet(depth=info["depth"], stem_pool_stride=info["stem_pool_stride"])


def example_inputs(info):
    del info
    return (jnp.zeros((1, 32, 32, 3)),)
