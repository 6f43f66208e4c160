"""``gazejax bench mggr``: MGGR redirection latency and its two training steps.

Full size = the :paper config (64x64 patches, batch 8 pairs x 2 eyes), with
the perceptual terms on through a random-weight VGG16 written as a converted
checkpoint to a temporary directory (the cost does not depend on the
weights). Records: ``mggr_redirect`` (MGGR-C + G forward), ``mggr_step_coarse``
(stage 1) and ``mggr_step_fine`` (stage 2: a D and a G update). ``--quick``
uses the :tiny config.
"""

import pathlib
import tempfile

import jax
import jax.numpy as jnp
import numpy as np

from gazejax import convert
from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import record, skipped_record, time_jax
from gazejax.models.perceptual import VGGFeatures
from gazejax.methods.mggr import training as mggr
from gazejax.train.config_loading import load_config

CONFIG_FILE = pathlib.Path(__file__).resolve().parents[2] / "configs" / "mggr.py"


def patch_batch(config):
    """Random eye-patch record pairs at the config's batch size (64x64 stored patches)."""
    rng = np.random.default_rng(0)
    b = config.batch_size

    def rec():
        return {
            "left_eye_patch": rng.uniform(0, 1, (b, 64, 64, 3)),
            "right_eye_patch": rng.uniform(0, 1, (b, 64, 64, 3)),
            "left_eye_patch_gaze": rng.uniform(-0.3, 0.3, (b, 2)),
            "right_eye_patch_gaze": rng.uniform(-0.3, 0.3, (b, 2)),
            "head_pose": rng.uniform(-0.3, 0.3, (b, 2)),
        }

    pair = {"source": rec(), "target": rec()}
    return jax.tree.map(lambda v: jnp.asarray(v, jnp.float32), pair)


def run(args):
    variant = "tiny" if args.quick else "paper"
    with tempfile.TemporaryDirectory() as tmp:
        vgg = VGGFeatures(layers=("conv5_3",), resize_to=None).init(
            jax.random.key(1), jnp.zeros((1, 32, 32, 3)))
        convert.save(f"{tmp}/vgg", {"network": "vgg16", "input_size": 224}, vgg)
        config = load_config(f"{CONFIG_FILE}:{variant}", [f"loss.perceptual_checkpoint={tmp}/vgg"])
        batch = patch_batch(config)
        state = jax.jit(lambda k, b: mggr.init(config, k, b))(jax.random.key(0), batch)
        pairs = mggr.patch_pairs(config, batch)

        redirect = jax.jit(lambda p, x: mggr.redirect(
            config, p, x, pairs["head_pose"], pairs["source_gaze"], pairs["target_gaze"]))
        coarse_step = jax.jit(lambda s: mggr.coarse_step(config, s, pairs))
        fine_step = jax.jit(lambda s: mggr.fine_step(config, s, pairs))
        shapes = {"patches": list(pairs["source"].shape)}
        functions = [
            ("mggr_redirect", redirect, (state.params, pairs["source"])),
            ("mggr_step_coarse", coarse_step, (state,)),
            ("mggr_step_fine", fine_step, (state,)),
        ]
        n = pairs["source"].shape[0]
        records = []
        for name, fn, fn_args in functions:
            try:
                t = time_jax(fn, *fn_args, runs=args.runs, budget_bytes=args.budget_bytes)
            except ShapeTooBig as too_big:
                records.append(skipped_record(name, variant, shapes, too_big))
                continue
            records.append(record(name, variant, shapes, patches_per_s=n / (t["median_ms"] / 1e3), **t))
    return records
