"""The frozen feature network of a perceptual loss, chosen by what a checkpoint holds."""

from gazejax.convert import load_frozen, read_info
from gazejax.models.perceptual import EstimatorFeatures, VGGFeatures
from gazejax.nn.resnet import RESNET_TAPS
from gazejax.nn.vgg import VGG16_LAYERS


def perceptual_network(directory, layers):
    """(module, frozen variables) of the feature network in a converted checkpoint.

    ``directory`` holds ``gazejax convert vgg16`` weights (taps
    ``VGG16_LAYERS``, run at the image's own size) or an exported L2CS
    estimator (taps ``layer1..layer4``). ``module.apply(variables, images)``
    gives ``{layer: (N, h, w, C)}``. Safe to call while tracing.

    Raises ValueError naming the network when it is neither, or when a layer
    is not one of its taps.
    """
    info = read_info(directory)
    network = info["network"]
    if network == "vgg16":
        module, taps = VGGFeatures(layers=tuple(layers), resize_to=None), VGG16_LAYERS
    elif network == "l2cs":
        module, taps = EstimatorFeatures(depth=info["depth"], layers=tuple(layers),
                                   width=info.get("width", 64)), RESNET_TAPS
    else:
        raise ValueError(f"{directory} holds {network!r}; a perceptual network must be "
                         "converted vgg16 weights or an exported l2cs estimator")
    unknown = [layer for layer in layers if layer not in taps]
    if unknown:
        raise ValueError(f"{directory} holds {network}, which has no layers {unknown}; "
                         f"its taps are {', '.join(taps)}")
    return module, load_frozen(directory)[1]
