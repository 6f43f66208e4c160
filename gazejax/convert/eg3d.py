"""EG3D release snapshots (``ffhq512-128.pkl``) -> Flax variables of ``G_ema`` and ``D``.

A snapshot is a pickle of a dict ``{'G', 'D', 'G_ema', 'augment_pipe',
'training_set_kwargs'}`` of whole modules (``torch_utils.persistence``
wrappers); :mod:`gazejax.convert.safe_unpickle` reads it as data only. The
module trees are flattened to state_dicts and mapped by name:

=================================  ====================================  ==============================
torch key                          flax variable                         conversion
=================================  ====================================  ==============================
``*.weight`` (O, I)                ``params/.../kernel`` (I, O)          ``w.T``
``*.weight`` (O, I, k, k)          ``params/.../kernel`` (k, k, I, O)    ``w.transpose(2, 3, 1, 0)``
``*.const`` (C, R, R)              ``params/.../const`` (R, R, C)        ``c.transpose(1, 2, 0)``
``*.bias``, ``*.noise_strength``   ``params/.../bias``, ...              as is
``*.noise_const``                  ``constants/.../noise_const``         as is
``backbone.mapping.w_avg``         ``averages/backbone/mapping/w_avg``   as is
``*.resample_filter``              (rebuilt from the taps)               dropped
=================================  ====================================  ==============================

Module paths: ``.`` separates modules, ``net.0`` becomes ``net_0``. The
architecture (widths, resolutions, layer counts) is read off the weights'
shapes and the rendering settings off the generator's constructor
arguments; both go to the checkpoint's ``network.json``, from which
``gazejax.methods.eg3d`` builds the matching modules.
"""

import numpy as np

from gazejax.convert.dotted_keys import dotted_module_path
from gazejax.convert.safe_unpickle import ModuleRecord, UnsafePickleError, load
from gazejax.convert.state_dict import ConversionError

NETWORK = "eg3d"
# classes a snapshot refers to by import path (not persistence-wrapped); read as attribute records
RECORD_CLASSES = (
    "training.triplane.OSGDecoder",
    "training.volumetric_rendering.renderer.ImportanceRenderer",
    "training.volumetric_rendering.ray_sampler.RaySampler",
    "training.volumetric_rendering.ray_marcher.MipRayMarcher2",
    "training.augment.AugmentPipe",
    "torch.nn.modules.container.Sequential",
    "torch.nn.modules.container.ModuleList",
    "torch.nn.modules.activation.Softplus",
)
DICT_CLASSES = ("dnnlib.util.EasyDict",)
# rendering_kwargs entries of the generator -> TriPlaneGenerator attributes
_RENDERING_KEYS = {"ray_start": "ray_start", "ray_end": "ray_end", "depth_resolution": "n_coarse",
                   "depth_resolution_importance": "n_fine", "box_warp": "box_warp", "c_scale": "c_scale",
                   "sr_antialias": "sr_antialias"}
_SR_VARIANTS = {"SuperresolutionHybrid8XDC": "8XDC", "SuperresolutionHybrid4X": "4X",
                "SuperresolutionHybrid2X": "2X"}


def read_snapshot(path):
    """The snapshot's ``{'G_ema': record, 'D': record or None}`` (ConversionError in one line)."""
    try:
        snapshot = load(path, RECORD_CLASSES, DICT_CLASSES)
    except UnsafePickleError as e:
        raise ConversionError(str(e)) from None
    except OSError as e:
        raise ConversionError(f"cannot read {path}: {e.strerror}") from None
    except ImportError:
        raise ConversionError("reading EG3D snapshots needs PyTorch: pip install 'gazejax[torch]'") from None
    if not isinstance(snapshot, dict) or not isinstance(snapshot.get("G_ema"), ModuleRecord):
        keys = sorted(snapshot) if isinstance(snapshot, dict) else type(snapshot).__name__
        raise ConversionError(f"{path} has no G_ema module (an EG3D snapshot has G, D and G_ema; found {keys})")
    d = snapshot.get("D")
    return {"G_ema": snapshot["G_ema"], "D": d if isinstance(d, ModuleRecord) else None}


def state_dict(record, prefix=""):
    """Flattens a module record tree -> ``{dotted key: numpy array}`` (parameters, then buffers)."""
    out = {}
    state = record.state
    for group in ("_parameters", "_buffers"):
        for name, tensor in (state.get(group) or {}).items():
            if tensor is not None:
                out[prefix + name] = tensor.detach().cpu().numpy()
    for name, child in (state.get("_modules") or {}).items():
        if isinstance(child, ModuleRecord):
            out.update(state_dict(child, f"{prefix}{name}."))
    return out


def to_variables(flat):
    """``{torch key: array}`` -> ``{'params', 'constants'?, 'averages'?}`` nested dicts (module docstring)."""
    out = {}
    for key, value in flat.items():
        *prefix, leaf = key.split(".")
        if leaf == "resample_filter":
            continue
        collection = "params"
        if leaf == "weight":
            leaf, value = "kernel", (value.T if value.ndim == 2 else value.transpose(2, 3, 1, 0))
        elif leaf == "const":
            value = value.transpose(1, 2, 0)
        elif leaf == "noise_const":
            collection = "constants"
        elif leaf == "w_avg":
            collection = "averages"
        node = out.setdefault(collection, {})
        for part in dotted_module_path(".".join(prefix)) if prefix else ():
            node = node.setdefault(part, {})
        node[leaf] = np.array(value, np.float32)
    return out


def _mapping_layers(flat, prefix):
    return sum(1 for k in flat if k.startswith(prefix + "fc") and k.endswith(".weight"))


def describe_generator(record, flat):
    """JSON-able ``TriPlaneGenerator`` settings read off ``G_ema``."""
    blocks = sorted(int(k.split(".")[2][1:]) for k in flat if k.startswith("backbone.synthesis.b") and
                    k.endswith(".torgb.weight"))
    if not blocks:
        raise ConversionError("G_ema has no backbone.synthesis blocks: not an EG3D TriPlaneGenerator")
    resolution = blocks[-1]
    img_channels = flat[f"backbone.synthesis.b{resolution}.torgb.weight"].shape[0]
    channels = {res: flat[f"backbone.synthesis.b{res}.conv1.weight"].shape[0] for res in blocks}
    # channel_max is the widest block; channel_base reproduces the narrowest ones
    channel_max = max(channels.values())
    channel_base = max(res * ch for res, ch in channels.items() if ch < channel_max) if len(set(
        channels.values())) > 1 else channel_max * resolution
    backbone = {
        "z_dim": flat["backbone.mapping.fc0.weight"].shape[1] - flat["backbone.mapping.embed.weight"].shape[0],
        "c_dim": flat["backbone.mapping.embed.weight"].shape[1],
        "w_dim": flat["backbone.mapping.fc0.weight"].shape[0],
        "mapping_layers": _mapping_layers(flat, "backbone.mapping."),
        "resolution": resolution,
        "plane_channels": img_channels // 3,
        "channel_base": int(channel_base),
        "channel_max": int(channel_max),
    }
    kwargs = record.state.get("_init_kwargs") or {}
    rendering = kwargs.get("rendering_kwargs") or record.state.get("rendering_kwargs") or {}
    sr_module = str(rendering.get("superresolution_module", "SuperresolutionHybrid8XDC")).rsplit(".", 1)[-1]
    if sr_module not in _SR_VARIANTS:
        raise ConversionError(f"G_ema uses {sr_module}, not one of {', '.join(_SR_VARIANTS)}")
    info = {
        "backbone": backbone,
        "decoder_hidden": flat["decoder.net.0.weight"].shape[0],
        "sr_variant": _SR_VARIANTS[sr_module],
        "sr_widths": [flat["superresolution.block0.conv1.weight"].shape[0],
                      flat["superresolution.block1.conv1.weight"].shape[0]],
        "neural_rendering_resolution": int(record.state.get("neural_rendering_resolution", 64)),
    }
    if kwargs.get("conv_clamp") is not None:
        info["backbone"]["conv_clamp"] = float(kwargs["conv_clamp"])
    for key, name in _RENDERING_KEYS.items():
        if key in rendering:
            value = rendering[key]
            info[name] = value if isinstance(value, (str, bool)) else float(value) if isinstance(
                value, float) else int(value) if isinstance(value, int) else float(value)
    return info


def describe_discriminator(record, flat):
    """JSON-able ``DualDiscriminator`` settings read off ``D`` (its weights and constructor arguments)."""
    blocks = [int(k.split(".")[0][1:]) for k in flat if k.endswith(".fromrgb.weight")]
    if not blocks:
        raise ConversionError("D has no fromrgb layer: not an EG3D DualDiscriminator")
    resolution = blocks[0]
    widths = {int(k.split(".")[0][1:]): v.shape[0] for k, v in flat.items()
              if k.startswith("b") and k.endswith(".conv0.weight")}
    widths[4] = flat["b4.conv.weight"].shape[0]
    channel_max = max(widths.values())
    narrow = [res * ch for res, ch in widths.items() if ch < channel_max]
    kwargs = record.state.get("_init_kwargs") or {}
    epilogue = kwargs.get("epilogue_kwargs") or {}
    conv_clamp = kwargs.get("conv_clamp", 256)
    return {
        "conv_clamp": None if conv_clamp is None else float(conv_clamp),
        "mbstd_group_size": int(epilogue.get("mbstd_group_size", 4)),
        "resolution": resolution,
        "c_dim": flat["mapping.embed.weight"].shape[1] if "mapping.embed.weight" in flat else 0,
        "channel_base": int(max(narrow) if narrow else channel_max * resolution),
        "channel_max": int(channel_max),
        "cmap_dim": flat["b4.out.weight"].shape[0],
        "mapping_layers": _mapping_layers(flat, "mapping."),
    }


def convert_snapshot(path):
    """``path`` -> ``(variables {'G': ..., 'D'?: ...}, info)``; info names ``network: 'eg3d'``."""
    snapshot = read_snapshot(path)
    g_flat = state_dict(snapshot["G_ema"])
    try:
        info = {"network": NETWORK, "generator": describe_generator(snapshot["G_ema"], g_flat)}
        variables = {"G": to_variables(g_flat)}
        if snapshot["D"] is not None:
            d_flat = state_dict(snapshot["D"])
            info["discriminator"] = describe_discriminator(snapshot["D"], d_flat)
            variables["D"] = to_variables(d_flat)
    except KeyError as e:
        raise ConversionError(f"{path}: missing weight {e.args[0]}; not an EG3D snapshot") from None
    return variables, info
