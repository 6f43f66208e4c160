"""LPIPS from a ``gazejax convert lpips`` directory, as one jitted function."""

import jax

from gazejax.convert import load_frozen


def load_lpips(directory):
    """A jitted ``(a, b) -> (N,)`` LPIPS from a ``gazejax convert lpips`` directory.

    Raises ValueError when the directory holds another network.
    """
    module, variables, info = load_frozen(directory)
    if info["network"] != "lpips":
        raise ValueError(f"{directory} holds {info['network']!r}, not converted lpips weights")
    return jax.jit(lambda a, b: module.apply(variables, a, b))
