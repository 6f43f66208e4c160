"""A trained L2CS run as a judge: written in the converted-checkpoint format (``gazejax export``).

The export is what ``gazejax estimate``, the evaluations' ``eval.estimator_checkpoint``
and the functional losses' ``loss.estimator_checkpoint`` load, like any network
converted with ``gazejax convert``; it records how the network saw its
training images (crop, antialiased resize) so that every reader repeats it.
"""

import jax

from gazejax import convert
from gazejax.models.l2cs import BINNINGS


def export(config, variables, directory):
    """Writes ``variables`` (``{'params', 'batch_stats'}``) of an L2CS run as a converted checkpoint."""
    info = {
        "network": "l2cs", "arch": f"resnet{config.model.depth}", "depth": config.model.depth,
        "binning": config.model.binning, "num_bins": BINNINGS[config.model.binning].num_bins,
        "input_size": config.model.input_size, "inputs": config.model.inputs,
        "mirror_average": config.model.mirror_average, "head_pose": bool(config.model.get("head_pose")),
        # how the network saw its training images; estimate_angles repeats it
        "crop": config.model.get("crop"), "antialias": True,
    }
    convert.save(directory, info, jax.device_get(variables), force=True)
