"""EG3D modules and variables from a converted release snapshot (``gazejax convert eg3d``).

The checkpoint's ``network.json`` describes the generator and discriminator
(:mod:`gazejax.convert.eg3d`); this builds the matching
:class:`~gazejax.methods.eg3d.generator.TriPlaneGenerator` and
:class:`~gazejax.methods.eg3d.discriminator.DualDiscriminator` and restores
their variables, checking every shape against the modules.
"""

import pathlib

import jax
import jax.numpy as jnp
import orbax.checkpoint as ocp

from gazejax.convert import ConversionError, read_info
from gazejax.convert.checkpoint import VARIABLES_DIR
from gazejax.methods.eg3d.discriminator import DualDiscriminator
from gazejax.methods.eg3d.generator import CAMERA_LABEL_SIZE, TriPlaneGenerator


def generator_from_info(info, **overrides):
    """The :class:`TriPlaneGenerator` a converted snapshot describes (``overrides`` win)."""
    settings = dict(info["generator"])
    if settings.get("sr_widths") is not None:
        settings["sr_widths"] = tuple(settings["sr_widths"])
    return TriPlaneGenerator(**{**settings, **overrides})


def discriminator_from_info(info):
    """The :class:`DualDiscriminator` a converted snapshot describes, or None without ``D``."""
    return DualDiscriminator(**info["discriminator"]) if "discriminator" in info else None


def abstract_variables(generator, discriminator):
    """``{'G': ..., 'D'?: ...}`` variable shapes of the modules (no FLOPs)."""
    n, labels = 2, jnp.zeros((2, CAMERA_LABEL_SIZE))
    z = jnp.zeros((n, generator.backbone.get("z_dim", 512)))
    keys = {"params": jax.random.key(0), "noise": jax.random.key(1)}

    def init():
        out = {"G": generator.init(keys, z, labels, labels)}
        if discriminator is not None:
            images = generator.apply(out["G"], z, labels, labels, rngs=keys)
            images = {k: v for k, v in images.items() if k != "image_depth"}
            out["D"] = discriminator.init(jax.random.key(0), images, labels)
        return out

    return jax.eval_shape(init)


def load_converted(directory):
    """``(generator, g_variables, discriminator or None, d_variables or None)`` of a converted snapshot."""
    directory = pathlib.Path(directory).absolute()
    info = read_info(directory)
    if info.get("network") != "eg3d":
        raise ConversionError(f"{directory} holds a converted {info.get('network')!r}, not an EG3D snapshot")
    generator, discriminator = generator_from_info(info), discriminator_from_info(info)
    abstract = abstract_variables(generator, discriminator)
    try:
        variables = ocp.StandardCheckpointer().restore(directory / VARIABLES_DIR, abstract)
    except ValueError as e:
        raise ConversionError(f"{directory}: the weights do not fit the described EG3D: {e}".splitlines()[0]) from None
    return generator, variables["G"], discriminator, variables.get("D")
