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
"""

import functools
import pathlib
import tempfile

import jax
import jax.numpy as jnp
import numpy as np

from gazejax import convert
from gazejax.bench.gazenerf import random_frozen_checkpoints, reference_record
from gazejax.bench.timing import compile_checked, record
from gazejax.geometry import camera_label
from gazejax.methods.gazenerf import training as gazenerf
from gazejax.methods.livegaze import training as livegaze
from gazejax.models.perceptual import VGGFeatures
from gazejax.train.config_loading import load_config

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "configs"
GAZENERF_SETTINGS = ([], ["model.chunk_rays=1024"])
_LIVEGAZE_LEAN = ["model.chunk_rays=4096", "model.encoder.remat=True", "model.encoder.query_chunk=2048"]
LIVEGAZE_SETTINGS = ([], _LIVEGAZE_LEAN[:1], _LIVEGAZE_LEAN, _LIVEGAZE_LEAN + ["num_microbatches=2"],
                     _LIVEGAZE_LEAN + ["num_microbatches=4"])
QUICK_SETTINGS = {"gazenerf": ([], ["model.chunk_rays=64"]),
                  "livegaze": (["model.chunk_rays=64", "model.encoder.remat=True",
                                "model.encoder.query_chunk=64", "num_microbatches=2"],)}


def livegaze_pair_batch(config, n):
    """Random pairs ``{'source', 'target'}`` at the config's output size, frontal cameras."""
    r = config.model.output_resolution
    rng = np.random.default_rng(0)
    uniform = lambda *shape: jnp.asarray(rng.uniform(size=shape), jnp.float32)  # noqa: E731
    target = {"image": uniform(n, r, r, 3), "gaze_head": uniform(n, 2) * 0.3,
              "camera": camera_label(jnp.zeros(n), jnp.zeros(n)), "depth": uniform(n, r, r) + 2.5}
    target.update({k: uniform(n, r, r) for k in ("face_mask", "left_eye_mask", "right_eye_mask")})
    return {"source": {"image": uniform(n, r, r, 3)}, "target": target}


def _measure(method, variant, settings, frozen, batch_of, batch):
    """One record: the compiled train step of ``variant`` with ``settings`` (never run)."""
    config = load_config(f"{CONFIGS / method}.py:{variant}", frozen + [f"--config.{s}" for s in settings])
    training = {"gazenerf": gazenerf, "livegaze": livegaze}[method]
    data = batch_of(config, batch)
    state = jax.eval_shape(functools.partial(training.init, config), jax.random.key(0), data)
    step = jax.jit(functools.partial(training.train_step, config), donate_argnums=(0,))
    _, measured = compile_checked(step, state, data, jax.random.key(0))
    measured.pop("gflops")  # XLA counts a loop body once: chunked settings would look cheaper than they are
    return record("train_step_memory", f"{method}:{variant}", dict(batch=batch), settings=settings, **measured)


def run(args):
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        variant = "tiny" if args.quick else "paper"
        frozen = random_frozen_checkpoints(tmp, "paper") if not args.quick else []
        for settings in QUICK_SETTINGS["gazenerf"] if args.quick else GAZENERF_SETTINGS:
            records.append(_measure("gazenerf", variant, settings, frozen, reference_record, 1))
        vgg = VGGFeatures(layers=("conv5_3",), resize_to=None).init(jax.random.key(1), jnp.zeros((1, 32, 32, 3)))
        convert.save(f"{tmp}/livegaze_vgg", {"network": "vgg16", "input_size": 224}, vgg)
        frozen = [f"--config.loss.perceptual_checkpoint={tmp}/livegaze_vgg"]
        for settings in QUICK_SETTINGS["livegaze"] if args.quick else LIVEGAZE_SETTINGS:
            records.append(_measure("livegaze", variant, settings, frozen, livegaze_pair_batch, 4))
    return records
