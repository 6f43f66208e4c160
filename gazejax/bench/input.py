"""``gazejax bench input``: the input pipeline's rate against what a LiveGaze training step consumes.

The pipeline (:mod:`gazejax.data.throughput`) reads a dataset of random
records converted like ETH-XGaze re-normalized at 512^2 (image, face and eye
masks, head-frame gaze, EG3D camera) as the ``:eth_xgaze`` config reads it:
pair batches of 4 with its read threads. A record of this benchmark is one
row of a batch, i.e. one (source, target) pair. Two records:

- ``input_pipeline``: pairs/s of the pipeline against a step of ``--step-ms``
  milliseconds. The default, :data:`PAPER_STEP_MS`, is the LiveGaze paper's
  own training (Sec. 4.1): 18 hours on two A100s for 50 epochs of 14.4K
  images at batch 4, i.e. 180,000 steps of 360 ms.
- ``livegaze_train_step``: the ``:eth_xgaze`` training step on this device
  (VGG16 perceptual term with random weights: the cost does not depend on
  them), fed the pipeline's own batch, and the pipeline's headroom over it;
  when its compiled peak memory exceeds the budget
  (``--memory-budget-gb``) it is not run and its record says what it needs.

``--quick`` (a smoke test): the ``:tiny`` config shrunk to 32^2, batch 8, a
few batches; its step has no perceptual term.
"""

import functools
import pathlib
import tempfile

import jax
import jax.numpy as jnp
from ml_collections import ConfigDict

from gazejax import convert
from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import compile_checked, record, skipped_record, time_jax
from gazejax.data import pipeline, throughput
from gazejax.methods.livegaze import training
from gazejax.models.perceptual import VGGFeatures
from gazejax.train.config_loading import load_config

CONFIG_FILE = pathlib.Path(__file__).resolve().parents[2] / "configs" / "livegaze.py"
PAPER_TRAINING_HOURS = 18.0  # LiveGaze paper, Sec. 4.1: two A100 GPUs, 50 epochs
PAPER_STEPS = 180_000  # 50 epochs x 14.4K images / batch 4
PAPER_STEP_MS = PAPER_TRAINING_HOURS * 3600e3 / PAPER_STEPS
# (identities, frames, views) of the synthetic dataset; batches cycle over it
FULL_GRID, QUICK_GRID = (4, 4, 2), (2, 2, 2)
# --quick: the :tiny model shrunk further, so that its step compiles in seconds
QUICK_OVERRIDES = ["model.output_resolution=32", "model.neural_resolution=16", "model.n_coarse=6",
                   "model.n_fine=6", "loss.depth=0"]
# A 512^2 step on a CPU takes tens of seconds: fewer timed runs there.
CPU_STEP_RUNS = 2


def run(args):
    variant = "tiny" if args.quick else "eth_xgaze"
    with tempfile.TemporaryDirectory() as tmp:
        # the synthetic records have no depth, like ETH-XGaze (whose config turns the term off)
        overrides = QUICK_OVERRIDES if args.quick else [f"loss.perceptual_checkpoint={_random_vgg16(tmp)}"]
        config = load_config(f"{CONFIG_FILE}:{variant}", overrides)
        resolution, batch_size = config.model.output_resolution, config.batch_size
        identities, frames, views = QUICK_GRID if args.quick else FULL_GRID
        builder = throughput.synthetic_dataset(tmp, resolution, identities, frames, views)
        data = ConfigDict(dict(config.data.to_dict(), builder=builder, dir=tmp))
        batches = 5 if args.quick else max(args.runs, 20)
        rate = throughput.measure(data, "train", batch_size, num_batches=batches, warmup=1 if args.quick else 3)

        name = f"configs/livegaze.py:{variant}"
        shapes = dict(batch=batch_size, pairs=True, image=[resolution, resolution, 3],
                      dataset=dict(identities=identities, frames=frames, views=views))
        step_ms = args.step_ms or PAPER_STEP_MS
        step_source = "--step-ms" if args.step_ms else (
            f"LiveGaze paper: {PAPER_TRAINING_HOURS:g} h on two A100s / {PAPER_STEPS} steps")
        records = [record("input_pipeline", name, shapes, threads=data.num_threads, unit="pairs",
                          step_source=step_source, **throughput.keeps_up(rate, batch_size, step_ms))]
        records.append(_train_step_record(config, data, name, shapes, rate, args))
    return records


def _random_vgg16(directory):
    """A random-weight VGG16 written as a converted checkpoint; returns its directory."""
    vgg = VGGFeatures(layers=("conv5_3",), resize_to=None).init(jax.random.key(1), jnp.zeros((1, 32, 32, 3)))
    convert.save(f"{directory}/vgg", {"network": "vgg16", "input_size": 224}, vgg)
    return f"{directory}/vgg"


def _train_step_record(config, data, name, shapes, rate, args):
    """The timed training step on the pipeline's first batch, or its skipped record."""
    pipe = pipeline.make_pipeline(data, "train", global_batch_size=config.batch_size, seed=0,
                                  process_index=0, process_count=1)
    batch = jax.tree.map(jnp.asarray, pipe.local_batch(0))
    key = jax.random.key(0)
    state = jax.jit(functools.partial(training.init, config))(key, batch)
    step = jax.jit(functools.partial(training.train_step, config))
    try:
        compiled, measured = compile_checked(step, state, batch, key, budget_bytes=args.budget_bytes)
    except ShapeTooBig as too_big:
        return skipped_record("livegaze_train_step", name, shapes, too_big)
    on_cpu = jax.devices()[0].platform == "cpu"
    runs = 3 if args.quick else (CPU_STEP_RUNS if on_cpu else args.runs)
    # compile_ms from compile_checked (lowering + compilation only), not the first call
    timing = dict(time_jax(lambda: compiled(state, batch, key)[1]["loss"], runs=runs, warmup=1), **measured)
    pipeline_rate = throughput.keeps_up(dict(records_per_s=rate["records_per_s"]), config.batch_size,
                                        timing["median_ms"])
    return record("livegaze_train_step", name, shapes, pipeline=pipeline_rate, **timing)
