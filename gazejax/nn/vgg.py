"""VGG16 convolutional trunk (Simonyan & Zisserman, 2015), tapped by layer name.

``VGG16_LAYERS[i]`` is the name of ``torchvision.models.vgg16().features[i]``
(``conv1_1``, ``relu1_1``, ..., ``pool5``), which is how ``gazejax.convert``
maps ``features.N`` keys onto the Flax parameters (named ``conv1_1`` ...).
"""

import flax.linen as nn

_BLOCK_CONVS = ((1, 2, 64), (2, 2, 128), (3, 3, 256), (4, 3, 512), (5, 3, 512))


def _layer_names():
    names = []
    for block, convs, _ in _BLOCK_CONVS:
        for i in range(1, convs + 1):
            names += [f"conv{block}_{i}", f"relu{block}_{i}"]
        names.append(f"pool{block}")
    return tuple(names)


VGG16_LAYERS = _layer_names()
_CONV_WIDTH = {f"conv{b}_{i}": w for b, n, w in _BLOCK_CONVS for i in range(1, n + 1)}


class VGG16(nn.Module):
    """VGG16 ``features``, computed only as deep as the deepest requested tap.

    Attributes:
      taps: names from ``VGG16_LAYERS`` (e.g. ``("relu1_2", "relu4_3")``);
        a ``conv*`` tap is the pre-activation output.

    Call: ``x`` (N, H, W, 3) normalised images -> {tap: (N, h, w, C)}.
    """

    taps: tuple = ("pool5",)

    @nn.compact
    def __call__(self, x):
        unknown = [t for t in self.taps if t not in VGG16_LAYERS]
        if unknown:
            raise ValueError(f"unknown VGG16 layer(s) {unknown}; known: {', '.join(VGG16_LAYERS)}")
        last = max(VGG16_LAYERS.index(t) for t in self.taps)
        out = {}
        for name in VGG16_LAYERS[: last + 1]:
            if name.startswith("conv"):
                x = nn.Conv(_CONV_WIDTH[name], (3, 3), padding=((1, 1), (1, 1)), name=name)(x)
            elif name.startswith("relu"):
                x = nn.relu(x)
            else:
                x = nn.max_pool(x, (2, 2), strides=(2, 2))
            if name in self.taps:
                out[name] = x
        return out
