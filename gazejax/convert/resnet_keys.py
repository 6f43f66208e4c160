"""torchvision ResNet key names <-> ``gazejax.nn.resnet.ResNet`` modules."""

import re

from gazejax.convert.state_dict import ConversionError
from gazejax.nn.resnet import RESNET_STAGES, Bottleneck

_DOWNSAMPLE = {"downsample.0": "downsample_conv", "downsample.1": "downsample_bn"}


def resnet_module_path(prefix):
    """``layer2.0.downsample.1`` -> ('layer2_0', 'downsample_bn'); None if not a ResNet module."""
    if prefix in ("conv1", "bn1"):
        return (prefix,)
    m = re.fullmatch(r"layer([1-4])\.(\d+)\.(conv[1-3]|bn[1-3]|downsample\.[01])", prefix)
    if m is None:
        return None
    stage, block, part = m.groups()
    return (f"layer{stage}_{block}", _DOWNSAMPLE.get(part, part))


def infer_resnet_depth(state_dict, prefix=""):
    """Depth (18..152) from the block counts and block type of a ResNet state_dict."""
    counts = []
    for stage in range(1, 5):
        pattern = re.compile(rf"{re.escape(prefix)}layer{stage}\.(\d+)\.")
        blocks = {int(m.group(1)) for k in state_dict if (m := pattern.match(k))}
        counts.append(max(blocks) + 1 if blocks else 0)
    bottleneck = any(k.startswith(f"{prefix}layer1.0.conv3.") for k in state_dict)
    for depth, (block, stages) in RESNET_STAGES.items():
        if tuple(counts) == stages and (block is Bottleneck) == bottleneck:
            return depth
    kind = "bottleneck" if bottleneck else "basic"
    raise ConversionError(
        f"not a torchvision ResNet-18/34/50/101/152: found {kind} blocks per stage {counts} "
        f"under {prefix or 'the top level'!r}"
    )
