"""Config of the toy method (tests only): the standard fields plus ``optim``."""

import ml_collections

from gazejax.train.config_args import parse_config_arg


def get_config(arg=None):
    variant, _ = parse_config_arg(arg, ("paper", "tiny"))
    config = ml_collections.ConfigDict()
    config.method = "toy_method"
    config.seed = 0
    config.num_steps = 200 if variant == "paper" else 6
    config.batch_size = 8
    config.log_every = 1
    config.checkpoint_every = 3
    config.sample_every = 3
    config.keep_checkpoints = 2
    config.best_metric = "mse"
    config.best_mode = "min"
    config.data = ml_collections.ConfigDict(dict(
        builder="fake_synthgaze:make_source", dir="", split="train", eval_split="test",
        pairs=True, same_camera=ml_collections.config_dict.placeholder(bool), num_threads=0,
        identities=2, frames=3, views=2, resolution=4,
    ))
    config.eval = ml_collections.ConfigDict(dict(num_batches=1))
    # diverge_at_step: from this step on the update turns the params NaN (0 = never), a
    # divergence that the step's own loss does not show yet
    config.optim = ml_collections.ConfigDict(dict(lr=3e-2, diverge_at_step=0))
    return config
