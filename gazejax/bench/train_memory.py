"""``gazejax bench train_memory``: the memory of the papers' training steps under each memory option.

Nothing is run: each step is only compiled, and XLA's compiled memory
analysis gives its peak, so the full-size figures take about 20 s each on
a CPU. Records, one per setting, each adding to the one before:

- GazeNeRF ``:paper`` (512^2, batch 1, every loss term): as configured, then
  ``model.chunk_rays`` (the MLP streams in chunks of rays, recomputed in the
  backward pass).
- LiveGaze ``:paper`` (512^2, batch 4, with the VGG16 perceptual term): as
  configured, then ``model.chunk_rays`` (render chunks), ``model.encoder.remat``
  with ``model.encoder.query_chunk`` (the ViT blocks), then
  ``num_microbatches`` 2 and 4 (gradient accumulation over slices of the batch).

Only ``num_microbatches`` changes results (a masked mean becomes a mean over
slices); the other options change memory and compute, not outputs.
Frozen networks get random weights. ``--quick`` runs the tiny configs.

``--variant synthgaze`` prices the options: the ``:synthgaze`` models (GazeNeRF
with its functional loss through a ResNet-18 judge; LiveGaze without a
perceptual network, batch 4) under each setting, compiled and also run, so
each record has its median step time beside its memory (``tiny`` runs too).
"""

import functools
import pathlib
import tempfile

import jax
import jax.numpy as jnp
import numpy as np

from gazejax import convert
from gazejax.bench.gazenerf import random_frozen_checkpoints, reference_record
from gazejax.bench.timing import compile_checked, record, time_jax
from gazejax.geometry import camera_label
from gazejax.methods.gazenerf import training as gazenerf
from gazejax.methods.livegaze import training as livegaze
from gazejax.models.perceptual import VGGFeatures
from gazejax.train.config_loading import load_config

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "configs"
VARIANTS = ("paper", "synthgaze", "tiny")
_LIVEGAZE_LEAN = ["model.chunk_rays=4096", "model.encoder.remat=True", "model.encoder.query_chunk=2048"]
_SYNTHGAZE_LEAN = ["model.chunk_rays=256", "model.encoder.remat=True", "model.encoder.query_chunk=256"]
SETTINGS = {  # variant -> method -> settings, each measured
    "paper": {"gazenerf": ([], ["model.chunk_rays=1024"]),
              "livegaze": ([], _LIVEGAZE_LEAN[:1], _LIVEGAZE_LEAN, _LIVEGAZE_LEAN + ["num_microbatches=2"],
                           _LIVEGAZE_LEAN + ["num_microbatches=4"])},
    "synthgaze": {"gazenerf": ([], ["model.chunk_rays=256"]),
                  "livegaze": ([], _SYNTHGAZE_LEAN, _SYNTHGAZE_LEAN + ["num_microbatches=4"])},
    "tiny": {"gazenerf": ([], ["model.chunk_rays=64"]),
             "livegaze": (["model.chunk_rays=64", "model.encoder.remat=True", "model.encoder.query_chunk=64",
                           "num_microbatches=2"],)},
}


def livegaze_pair_batch(config, n):
    """Random pairs ``{'source', 'target'}`` at the config's output size, frontal cameras."""
    r = config.model.output_resolution
    rng = np.random.default_rng(0)
    uniform = lambda *shape: jnp.asarray(rng.uniform(size=shape), jnp.float32)  # noqa: E731
    target = {"image": uniform(n, r, r, 3), "gaze_head": uniform(n, 2) * 0.3,
              "camera": camera_label(jnp.zeros(n), jnp.zeros(n)), "depth": uniform(n, r, r) + 2.5}
    target.update({k: uniform(n, r, r) for k in ("face_mask", "left_eye_mask", "right_eye_mask")})
    return {"source": {"image": uniform(n, r, r, 3)}, "target": target}


def _measure(method, variant, settings, frozen, batch_of, batch, runs=None):
    """One record: the compiled train step of ``variant`` with ``settings``, timed over ``runs`` if given."""
    config = load_config(f"{CONFIGS / method}.py:{variant}", frozen + [f"--config.{s}" for s in settings])
    training = {"gazenerf": gazenerf, "livegaze": livegaze}[method]
    data = batch_of(config, batch)
    # donated state, as the trainer's step; a timed step is called again with the same state, so keeps it
    step = jax.jit(functools.partial(training.train_step, config), donate_argnums=() if runs else (0,))
    if runs:
        state = jax.jit(functools.partial(training.init, config))(jax.random.key(0), data)
        measured = time_jax(step, state, data, jax.random.key(0), runs=runs, warmup=1)
    else:
        state = jax.eval_shape(functools.partial(training.init, config), jax.random.key(0), data)
        _, measured = compile_checked(step, state, data, jax.random.key(0))
    measured.pop("gflops")  # XLA counts a loop body once: chunked settings would look cheaper than they are
    return record("train_step_memory", f"{method}:{variant}", dict(batch=batch), settings=settings, **measured)


def run(args):
    variant = args.variant or ("tiny" if args.quick else "paper")
    runs = None if variant == "paper" else min(args.runs, 3) if variant == "tiny" else args.runs
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        frozen = random_frozen_checkpoints(tmp, variant) if variant != "tiny" else []
        for settings in SETTINGS[variant]["gazenerf"]:
            records.append(_measure("gazenerf", variant, settings, frozen, reference_record, 1 if runs is None else 4,
                                    runs))
        frozen = []
        if variant != "synthgaze":  # :synthgaze's perceptual network would be a judge's ResNet stages
            vgg = VGGFeatures(layers=("conv5_3",), resize_to=None).init(jax.random.key(1), jnp.zeros((1, 32, 32, 3)))
            convert.save(f"{tmp}/livegaze_vgg", {"network": "vgg16", "input_size": 224}, vgg)
            frozen = [f"--config.loss.perceptual_checkpoint={tmp}/livegaze_vgg"]
        for settings in SETTINGS[variant]["livegaze"]:
            records.append(_measure("livegaze", variant, settings, frozen, livegaze_pair_batch, 4, runs))
    return records
