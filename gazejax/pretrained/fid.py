"""FID Inception features from a ``gazejax convert inception-fid`` directory."""

import jax

from gazejax.convert import load_frozen


def load_fid_features(directory):
    """A jitted ``images -> (N, 2048)`` from a ``gazejax convert inception-fid`` directory.

    Raises ValueError when the directory holds another network.
    """
    module, variables, info = load_frozen(directory)
    if info["network"] != "inception-fid":
        raise ValueError(f"{directory} holds {info['network']!r}, not converted FID Inception weights")
    return jax.jit(lambda images: module.apply(variables, images))
