"""The FID feature extractor: images in [0, 1] -> the Inception's 2048 pool3 features.

As pytorch-fid (whose weights ``gazejax convert inception-fid`` reads):
bilinear resize to 299^2 (no antialiasing, ``F.interpolate(...,
align_corners=False)``), then [0, 1] -> [-1, 1]. The distance itself is
:func:`gazejax.metrics.frechet_inception_distance`.
"""

import flax.linen as nn

from gazejax.nn.image_input import resize_square
from gazejax.nn.inception import InceptionV3Pool3

INPUT_SIZE = 299


class FIDFeatures(nn.Module):
    """Call: ``images`` (N, H, W, 3) RGB in [0, 1] -> (N, 2048).

    Attributes:
      resize_to: input side the network sees (299 for FID; None keeps the size).
    """

    resize_to: int | None = INPUT_SIZE

    @nn.compact
    def __call__(self, images):
        if self.resize_to:
            images = resize_square(images, self.resize_to)
        return InceptionV3Pool3(name="inception")(2.0 * images - 1.0)
