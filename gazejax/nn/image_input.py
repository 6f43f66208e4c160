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


def crop_and_resize(images, size, crop=None, antialias=False):
    """Square crop of (N, H, W, C) square images, then :func:`resize_square` to ``size``.

    ``crop`` is ``(top, left, side)`` as fractions of the image side, or None
    for the whole image. Fractions rather than pixels, so one judge reads its
    region the same way from a 64^2, 128^2 or 512^2 face.
    """
    if crop is not None:
        n, h, w, c = images.shape
        if h != w:
            raise ValueError(f"a cropping estimator needs square images, got {h}x{w}")
        top, left, side = (round(f * h) for f in crop)
        if top < 0 or left < 0 or side < 1 or top + side > h or left + side > w:
            raise ValueError(f"crop {tuple(crop)} does not fit a {h}x{w} image")
        images = images[:, top:top + side, left:left + side]
    return resize_square(images, size, antialias=antialias)
