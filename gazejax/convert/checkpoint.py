"""Converted-network checkpoints: orbax ``StandardSave`` of the variables + ``network.json``.

Layout of a checkpoint directory::

    DIR/network.json   {"network": "l2cs", "arch": "resnet50", "num_bins": 90, ...}
    DIR/variables/     orbax StandardCheckpointer: {'params', 'batch_stats'}
"""

import functools
import importlib
import json
import pathlib

import jax
import orbax.checkpoint as ocp

from gazejax.convert.state_dict import ConversionError

# network name -> mapping module (each defines NETWORK, IGNORED, module_path,
# describe, build, example_inputs).
NETWORKS = {
    "l2cs": "gazejax.convert.l2cs",
    "xgaze-resnet50": "gazejax.convert.xgaze_resnet",
    "gazenerf-vgg-estimator": "gazejax.convert.gazenerf_vgg_estimator",
    "vgg16": "gazejax.convert.vgg16",
    "lpips": "gazejax.convert.lpips",
    "inception-fid": "gazejax.convert.inception_fid",
}
INFO_FILE = "network.json"
VARIABLES_DIR = "variables"


def mapping(network):
    """The mapping module of a network name (ConversionError if unknown)."""
    if network not in NETWORKS:
        raise ConversionError(f"unknown network {network!r}; choose from {', '.join(NETWORKS)}")
    return importlib.import_module(NETWORKS[network])


def abstract_variables(spec, info):
    """The network's variables as ShapeDtypeStructs (no FLOPs, no memory)."""
    module = spec.build(info)
    return module, jax.eval_shape(module.init, jax.random.key(0), *spec.example_inputs(info))


def save(directory, info, variables, force=False):
    """Writes ``variables`` and ``info`` (which names its ``network``) to ``directory``."""
    directory = pathlib.Path(directory).absolute()
    if directory.exists() and any(directory.iterdir()) and not force:
        raise ConversionError(f"{directory} exists and is not empty (pass --force to overwrite)")
    directory.mkdir(parents=True, exist_ok=True)
    checkpointer = ocp.StandardCheckpointer()
    checkpointer.save(directory / VARIABLES_DIR, variables, force=True)
    checkpointer.wait_until_finished()
    (directory / INFO_FILE).write_text(json.dumps(info, indent=2) + "\n")


def read_info(directory):
    """The JSON description of a converted checkpoint (which names its ``network``)."""
    info_path = pathlib.Path(directory).absolute() / INFO_FILE
    if not info_path.is_file():
        raise ConversionError(f"{info_path.parent} is not a converted checkpoint (no {INFO_FILE})")
    return json.loads(info_path.read_text())


def load(directory):
    """Loads a converted checkpoint -> ``(module, variables, info)``.

    ``module.apply(variables, ...)`` runs the network in inference mode.
    """
    directory = pathlib.Path(directory).absolute()
    info = read_info(directory)
    module, abstract = abstract_variables(mapping(info["network"]), info)
    variables = ocp.StandardCheckpointer().restore(directory / VARIABLES_DIR, abstract)
    return module, variables, info


def frozen_network(directory, info=None):
    """``(module, info)`` of a frozen network without its variables.

    Built from ``info`` when given (an inference bundle carries the info of
    the frozen networks its run used, whose directories may not exist where
    the bundle is read), else from ``directory``'s own info.
    """
    if info:
        info = dict(info)
        return mapping(info["network"]).build(info), info
    module, _, info = load_frozen(directory)
    return module, info


@functools.lru_cache(maxsize=None)
def load_frozen(directory):
    """:func:`load` for frozen networks inside training code (perceptual VGG, estimators).

    Read once per process, and safe to call while ``init`` or a step is being
    traced by ``jit``/``eval_shape``: the restore must give concrete arrays,
    hence compile-time evaluation.
    """
    with jax.ensure_compile_time_eval():
        return load(directory)
