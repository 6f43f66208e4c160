"""A trained L2CS run as a judge: written in the converted-checkpoint format (``gazejax export``).

The export is what ``gazejax estimate``, the evaluations' ``eval.estimator_checkpoint``
and the functional losses' ``loss.estimator_checkpoint`` load, like any network
converted with ``gazejax convert``; it records how the network saw its
training images (crop, antialiased resize) so that every reader repeats it.
"""

import jax

from gazejax import convert
from gazejax.methods.l2cs import training
from gazejax.models.l2cs import BINNINGS
from gazejax.pretrained.gaze_estimator import estimate_angles


def estimator_info(config):
    """The converted-checkpoint description of an L2CS run's network (``network.json``)."""
    return {
        "network": "l2cs", "arch": f"resnet{config.model.depth}", "depth": config.model.depth,
        "width": config.model.get("width", 64),
        "binning": config.model.binning, "num_bins": BINNINGS[config.model.binning].num_bins,
        "input_size": config.model.input_size, "inputs": config.model.inputs,
        "mirror_average": config.model.mirror_average, "head_pose": bool(config.model.get("head_pose")),
        # how the network saw its training images; estimate_angles repeats it
        "crop": config.model.get("crop"), "antialias": True,
    }


def export(config, variables, directory):
    """Writes ``variables`` (``{'params', 'batch_stats'}``) of an L2CS run as a converted checkpoint."""
    convert.save(directory, estimator_info(config), jax.device_get(variables), force=True)


def judge(run):
    """A loaded L2CS run (:func:`gazejax.run_loading.load_model`, a run or a bundle) as a jitted
    ``images (N, H, W, 3) in [0, 1] -> {'gaze'[, 'head']} (N, 2)`` radians function, as the export reads."""
    info = estimator_info(run.config)
    module = training.model(run.config)
    return jax.jit(lambda images: estimate_angles(module, run.state, info, images))
