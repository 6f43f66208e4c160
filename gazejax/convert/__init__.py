"""PyTorch state_dict -> Flax variables, saved as orbax checkpoints.

``convert(network, sources)`` reads the file(s), maps them through the
network's mapping module (``gazejax/convert/<network>.py``, built on the
generic core in ``tree.py``) and returns ``(variables, info)``; ``save`` and
``load`` write and read the checkpoint directory (``checkpoint.py``).
Loading is one call::

    module, variables, info = gazejax.convert.load("ckpt/l2cs")
    logits = module.apply(variables, images)
"""

from gazejax.convert import eg3d
from gazejax.convert.checkpoint import NETWORKS, abstract_variables, frozen_network, load, load_frozen, mapping, read_info, save
from gazejax.convert.state_dict import ConversionError, read_state_dict
from gazejax.convert.tree import map_state_dict


# networks read from whole-module snapshots (not state_dicts): name -> converter of one file
SNAPSHOT_NETWORKS = {eg3d.NETWORK: eg3d.convert_snapshot}


def convert(network, sources, options=None):
    """Converts PyTorch checkpoint file(s) of ``network``.

    Args:
      network: a key of ``NETWORKS`` or ``SNAPSHOT_NETWORKS`` (EG3D's release pickles,
        read without running their code: ``gazejax/convert/eg3d.py``).
      sources: paths of state_dict files; their keys are merged (LPIPS takes
        its linear weights and its VGG16 backbone from two files).
      options: network-specific choices, e.g. ``{'binning': 'gaze360'}``,
        ``{'convention': 'eth'}``, ``{'stem_pool_stride': 1}``.

    Returns:
      (variables, info): {'params', 'batch_stats'?} numpy trees and the
      JSON-able description saved as ``network.json``.
    """
    if network in SNAPSHOT_NETWORKS:
        return SNAPSHOT_NETWORKS[network](sources[0])
    spec = mapping(network)
    state_dict = {}
    for path in sources:
        state_dict.update(read_state_dict(path))
    info = {"network": network, **spec.describe(state_dict, options or {})}
    _, abstract = abstract_variables(spec, info)
    what = f"{network} ({', '.join(f'{k}={v}' for k, v in info.items() if k != 'network')})"
    variables = map_state_dict(state_dict, spec.module_path, abstract, spec.IGNORED, what)
    return variables, info


__all__ = ["NETWORKS", "SNAPSHOT_NETWORKS", "ConversionError", "convert", "frozen_network", "load", "load_frozen",
           "read_info", "save", "read_state_dict"]
