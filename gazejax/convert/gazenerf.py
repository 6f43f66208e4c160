"""Mapping for the GazeNeRF network (reference ``GazeNeRFNet`` state_dict, the ``net`` entry).

Keys: ``fg_CD_predictor_{face,eyes}.{FeaExt_module_N,density_module,RGB_layer_N}``,
``neural_render.{feat_upsample_list.N.layer_{1,2},feat_2_rgb_list.N,feat_layers.N}``
and ``neural_render.bg_featmap``. Every weight is a 1x1 Conv2d ``(O, I, 1, 1)``,
a Dense kernel here; ``bg_featmap`` (1, C, F, F) becomes NHWC at the top level.
"""

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.convert.dotted_keys import dotted_module_path
from gazejax.convert.state_dict import ConversionError
from gazejax.convert.tree import map_state_dict

_BG_KEY = "neural_render.bg_featmap"
# Unused by the forward pass: Blur's constant kernel buffers.
IGNORED = (r"neural_render\..*blur_layer\.f", r"neural_render\.rgb_upsample\.1\.f")


def abstract_variables(model, shape_dim, appearance_dim):
    """``model``'s variables as ShapeDtypeStructs (for the shape checks)."""
    args = (
        jnp.zeros((1, shape_dim)), jnp.zeros((1, appearance_dim)), jnp.zeros((1, 2)),
        jnp.eye(3)[None], jnp.array([[0.0, 0.0, 10.0]]), jnp.eye(3)[None],
    )
    return jax.eval_shape(model.init, jax.random.key(0), *args)


def convert_state_dict(state_dict, model, shape_dim, appearance_dim):
    """Reference GazeNeRF state_dict ``{key: np.ndarray}`` -> Flax variables of ``model``.

    Args:
      state_dict: flat torch state_dict (numpy values) of ``GazeNeRFNet``.
      model: the :class:`~gazejax.methods.gazenerf.GazeNeRF` it should fill.
      shape_dim, appearance_dim: the model's code sizes (reference: 179, 127).

    Raises:
      gazejax.convert.ConversionError naming every missing, unexpected or
      mis-shaped key, or the tensors holding NaN or inf.
    """
    squeezed = {
        k: (v[:, :, 0, 0] if v.ndim == 4 and v.shape[2:] == (1, 1) else v)
        for k, v in state_dict.items() if k != _BG_KEY
    }
    abstract = abstract_variables(model, shape_dim, appearance_dim)
    bg_abstract = abstract["params"].pop("bg_featmap")
    variables = map_state_dict(squeezed, dotted_module_path, abstract, IGNORED, "GazeNeRF")
    bg = state_dict.get(_BG_KEY)
    expected = (bg_abstract.shape[0], bg_abstract.shape[3], *bg_abstract.shape[1:3])
    if bg is None or tuple(bg.shape) != expected:
        got = "missing" if bg is None else f"{tuple(bg.shape)}"
        raise ConversionError(f"checkpoint does not match GazeNeRF: {_BG_KEY} is {got}, expected {expected}")
    if not np.isfinite(bg).all():
        raise ConversionError(f"checkpoint of GazeNeRF has weights that are not finite: {_BG_KEY} holds NaN or inf")
    variables["params"]["bg_featmap"] = np.asarray(bg, np.float32).transpose(0, 2, 3, 1)
    return variables
