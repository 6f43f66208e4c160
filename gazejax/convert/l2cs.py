"""Mapping for L2CS-Net (``L2CSNet_gaze360.pkl``, the MPIIGaze fold models).

Keys: the torchvision ResNet at the top level (``conv1.weight``,
``layer1.0.conv1.weight``, ...), ``fc_yaw_gaze``, ``fc_pitch_gaze``, and the
vestigial ``fc_finetune`` (Linear 2051 -> 3, unused by ``forward``), which is
ignored. Depth and binning are read off the file.
"""

import jax.numpy as jnp

from gazejax.convert.resnet_keys import infer_resnet_depth, resnet_module_path
from gazejax.convert.state_dict import ConversionError
from gazejax.models.l2cs import BINNINGS, INPUT_SIZE, L2CS, binning_for

NETWORK = "l2cs"
IGNORED = (r"fc_finetune\..*",)
_HEADS = ("fc_yaw_gaze", "fc_pitch_gaze")


def module_path(prefix):
    if prefix in _HEADS:
        return (prefix,)
    inner = resnet_module_path(prefix)
    return ("backbone", *inner) if inner else None


def describe(state_dict, options):
    depth = infer_resnet_depth(state_dict)
    head = state_dict.get("fc_yaw_gaze.weight")
    if head is None:
        raise ConversionError("not an L2CS checkpoint: no fc_yaw_gaze.weight key")
    try:
        binning = options.get("binning") or binning_for(head.shape[0])
    except ValueError as e:
        raise ConversionError(str(e)) from e
    return {
        "arch": f"resnet{depth}",
        "depth": depth,
        "binning": binning,
        "num_bins": BINNINGS[binning].num_bins,
        "input_size": INPUT_SIZE,
    }


def build(info):
    return L2CS(depth=info["depth"], num_bins=info["num_bins"], head_pose=info.get("head_pose", False),
                width=info.get("width", 64))


def example_inputs(info):
    del info
    return (jnp.zeros((1, 32, 32, 3)),)
