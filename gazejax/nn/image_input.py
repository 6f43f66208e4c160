"""Input preparation shared by the ImageNet-pretrained networks.

Images enter as float32 NHWC RGB in [0, 1] (the library convention); the
networks were trained on torchvision's ``Normalize(mean, std)`` of such
images.
"""

import jax
import jax.numpy as jnp

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def imagenet_normalize(images):
    """(..., 3) in [0, 1] -> (..., 3) standardised with ImageNet statistics."""
    return (images - jnp.asarray(IMAGENET_MEAN)) / jnp.asarray(IMAGENET_STD)


def resize_square(images, size, antialias=False):
    """Bilinear resize of (N, H, W, C) to (N, size, size, C).

    ``antialias=False`` matches ``torch.nn.functional.interpolate(...,
    mode='bilinear', align_corners=False)``, which the reference losses use;
    ``antialias=True`` is closer to PIL/torchvision ``Resize`` on files.
    A no-op when the images already have that size.
    """
    n, h, w, c = images.shape
    if (h, w) == (size, size):
        return images
    return jax.image.resize(images, (n, size, size, c), "bilinear", antialias=antialias)
