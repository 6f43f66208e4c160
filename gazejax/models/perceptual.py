"""Feature networks for perceptual and Gram/style losses.

GazeNeRF's VGG loss (paper Eq. 7, as its reference code): torchvision VGG16 taps
relu1_2, relu2_2, relu3_3, relu4_3 on ImageNet-normalised inputs resized to
224^2; PRGAN/MGGR use conv5_3 (content) and conv1_2..conv4_3 (style).

Without ImageNet VGG16 weights, a SynthGaze-trained gaze estimator (an L2CS
checkpoint exported by ``gazejax evaluate``) stands in: its ResNet stage
outputs ``layer1..layer4`` are the taps. :func:`perceptual_network` picks
the network from what the checkpoint directory holds.
"""

from typing import Optional

import flax.linen as nn

from gazejax.nn.image_input import imagenet_normalize, resize_square
from gazejax.nn.resnet import RESNET_TAPS, ResNet
from gazejax.nn.vgg import VGG16

GAZENERF_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")


class VGGFeatures(nn.Module):
    """Named VGG16 activations of [0, 1] images.

    Attributes:
      layers: tap names from ``gazejax.nn.vgg.VGG16_LAYERS``.
      resize_to: side length to resize to first (bilinear, no antialias, like
        ``F.interpolate``), or None to keep the input size.

    Call: ``images`` (N, H, W, 3) in [0, 1] -> {layer: (N, h, w, C)}.
    """

    layers: tuple = GAZENERF_LAYERS
    resize_to: Optional[int] = 224

    @nn.compact
    def __call__(self, images):
        if self.resize_to is not None:
            images = resize_square(images, self.resize_to)
        return VGG16(taps=tuple(self.layers), name="vgg")(imagenet_normalize(images))


class EstimatorFeatures(nn.Module):
    """Named ResNet stage activations of an L2CS gaze estimator, on [0, 1] images.

    Uses the variables of a whole L2CS checkpoint (its heads are ignored).

    Attributes:
      depth: the estimator's ResNet depth.
      layers: taps from ``gazejax.nn.resnet.RESNET_TAPS``.
      width: the estimator's ResNet base width.

    Call: ``images`` (N, H, W, 3) in [0, 1] -> {layer: (N, h, w, C)}.
    """

    depth: int = 18
    layers: tuple = RESNET_TAPS
    width: int = 64

    @nn.compact
    def __call__(self, images):
        backbone = ResNet(self.depth, taps=tuple(self.layers), width=self.width, name="backbone")
        return backbone(imagenet_normalize(images))
