"""VGG16 feature extractor for perceptual and Gram/style losses.

GazeNeRF's VGG loss (reference notes Sec. 2): torchvision VGG16 taps
relu1_2, relu2_2, relu3_3, relu4_3 on ImageNet-normalised inputs resized to
224^2; PRGAN/MGGR use conv5_3 (content) and conv1_2..conv4_3 (style).
"""

from typing import Optional

import flax.linen as nn

from gazejax.nn.image_input import imagenet_normalize, resize_square
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
