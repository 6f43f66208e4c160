"""``gazejax bench gazenerf``: one GazeNeRF training step and one per-subject fit.

Full size = the reference's network (64^2 x 258 feature maps, 64 samples,
width 384, 512^2 images), batch 1, with all loss terms: VGG16 perceptual on
three images and, for the fit, the functional loss through the VGG16 gaze
estimator. The frozen networks get random weights (written as converted
checkpoints to a temporary directory): the cost does not depend on them.
The fit is ``fit.num_steps`` (75) full fine-tuning steps + the redirected
render, one compiled function -- what the reference needs about a minute for.

``--variant synthgaze`` times the model this CPU trains (``:synthgaze``,
64^2), whose functional loss goes through a ResNet-18 L2CS judge at 112^2
as in the SynthGaze runs (no VGG16 terms there); ``--quick`` = ``--variant
tiny``, a smoke test with the same judge at 32^2 (VGG16 at 224^2 would be
nearly all of its time). Each record carries XLA's FLOP count of the compiled train step.
A full-size fit on a CPU takes many minutes per run, so there the fit is
timed ``CPU_FIT_RUNS`` times (its record's ``runs`` says so); ``--fit-steps``
times a shorter fit (its record's ``fit_steps`` says so), since a 75-step
fit at 512^2 is hours of a small CPU.
"""

import functools
import pathlib
import tempfile

import jax
import jax.numpy as jnp
import numpy as np

from gazejax import convert
from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import compile_checked, record, skipped_record, time_jax
from gazejax.models.gazenerf_estimator import GazeNeRFEstimator
from gazejax.models.l2cs import L2CS
from gazejax.models.perceptual import VGGFeatures
from gazejax.methods.gazenerf import fitting as gazenerf_fitting
from gazejax.methods.gazenerf import training as gazenerf
from gazejax.train.config_loading import load_config

VARIANTS = ("paper", "synthgaze", "tiny")
CPU_FIT_RUNS = 2
JUDGE_INPUT = {"synthgaze": 112, "tiny": 32}  # synthgaze: the face judge's side (configs/l2cs.py:synthgaze)
CONFIG_FILE = pathlib.Path(__file__).resolve().parents[2] / "configs" / "gazenerf.py"


def reference_record(config, batch):
    """A batch of synthetic h5-style records at the config's sizes (reference camera)."""
    size = gazenerf.image_size(config)
    rng = np.random.default_rng(0)
    m = config.model
    mask = np.zeros((batch, size, size), np.float32)
    mask[:, size // 8:-size // 8, size // 8:-size // 8] = 1
    eye = np.zeros_like(mask)
    eye[:, size * 3 // 8:size // 2, size // 4:size * 3 // 4] = 1
    f = 1039.36 * size / 512
    rec = {
        "image": rng.uniform(0, 1, (batch, size, size, 3)),
        "face_mask": mask, "left_eye_mask": eye, "right_eye_mask": eye,
        "gaze_head": rng.uniform(-0.3, 0.3, (batch, 2)),
        "c2w_rotation": np.tile(np.diag([1.0, -1.0, -1.0]), (batch, 1, 1)),
        "c2w_translation": np.tile([0.0255, 0.1288, 6.2085], (batch, 1)),
        "intrinsics": np.tile([[f, 0, size / 2], [0, f, size / 2], [0, 0, 1]], (batch, 1, 1)),
        "identity": np.zeros(batch, np.int32), "frame": np.zeros(batch, np.int32),
        "view": np.arange(batch, dtype=np.int32),
        "shape_code": rng.normal(size=(batch, m.iden_dim)),
        "expression_code": rng.normal(size=(batch, m.expr_dim)),
        "texture_code": rng.normal(size=(batch, m.text_dim)),
        "illumination_code": rng.normal(size=(batch, m.illu_dim)),
    }
    return {k: jnp.asarray(v, jnp.int32 if v.dtype.kind == "i" else jnp.float32) for k, v in rec.items()}


def random_frozen_checkpoints(directory, variant):
    """Random-weight frozen networks as converted checkpoints -> config overrides.

    ``synthgaze`` and ``tiny``: a ResNet-18 L2CS judge (functional loss
    only); ``paper``: VGG16 (perceptual) and GazeNeRF's VGG16 estimator
    (functional) with the reference's code sizes.
    """
    x = jnp.zeros((1, 32, 32, 3))
    if variant in JUDGE_INPUT:
        judge = L2CS(depth=18, num_bins=90).init(jax.random.key(2), x)
        convert.save(f"{directory}/est", {"network": "l2cs", "arch": "resnet18", "depth": 18,
                                          "binning": "gaze360", "num_bins": 90,
                                          "input_size": JUDGE_INPUT[variant], "mirror_average": True}, judge)
        return [f"--config.loss.estimator_checkpoint={directory}/est"]
    vgg = VGGFeatures(layers=("conv5_3",), resize_to=None).init(jax.random.key(1), x)
    est = GazeNeRFEstimator().init(jax.random.key(2), x)
    convert.save(f"{directory}/vgg", {"network": "vgg16", "input_size": 224}, vgg)
    convert.save(f"{directory}/est", {"network": "gazenerf-vgg-estimator", "convention": "gazenerf",
                                      "input_size": 224}, est)
    return [f"--config.loss.perceptual_checkpoint={directory}/vgg", f"--config.loss.estimator_checkpoint={directory}/est",
            "--config.model.iden_dim=100", "--config.model.expr_dim=79",
            "--config.model.text_dim=100", "--config.model.illu_dim=27"]


def run(args):
    variant = args.variant or ("tiny" if args.quick else "paper")
    runs = min(args.runs, 3) if args.quick else args.runs
    on_cpu = jax.devices()[0].platform == "cpu"
    fit_runs = CPU_FIT_RUNS if on_cpu and variant == "paper" else runs
    with tempfile.TemporaryDirectory() as tmp:
        fit_steps = [] if args.fit_steps is None else [f"--config.fit.num_steps={args.fit_steps}"]
        config = load_config(f"{CONFIG_FILE}:{variant}", random_frozen_checkpoints(tmp, variant) + fit_steps)
        batch = reference_record(config, 1)
        state = jax.jit(functools.partial(gazenerf.init, config))(jax.random.key(0), batch)
        step = jax.jit(functools.partial(gazenerf.train_step, config), donate_argnums=(0,))

        size = gazenerf.image_size(config)
        m = config.model
        shapes = dict(image=[1, size, size, 3], featmap=[m.featmap_size] * 2 + [m.feature_channels],
                      samples=config.model.num_samples, mlp_width=config.model.mlp_width)
        try:
            compiled, measured = compile_checked(step, state, batch, jax.random.key(0), budget_bytes=args.budget_bytes)
        except ShapeTooBig as too_big:
            # the fit runs the same step, so it does not fit either
            return [skipped_record(name, f"gazenerf:{variant}", shapes, too_big, batch=1)
                    for name in ("gazenerf_train_step", "gazenerf_fit_and_redirect")]

        # Donation consumes the state, so each call feeds the previous output back.
        holder = [state]

        def one_step():
            holder[0], metrics = compiled(holder[0], batch, jax.random.key(0))
            return metrics["loss"]

        timing = dict(time_jax(one_step, runs=runs), **measured)  # compile_ms: lowering + compilation only
        losses = "L1 x3, nonhead, bg, " + ("" if variant in JUDGE_INPUT else "VGG x3, ") + "functional, offsets"
        records = [record("gazenerf_train_step", f"gazenerf:{variant}", shapes, batch=1, losses=losses, **timing)]

        gaze = jnp.array([[0.2, -0.1]])
        net, extra = holder[0].params["net"], holder[0].extra

        def fit_once():
            images, _ = gazenerf_fitting.fit_and_redirect(config, net, extra, batch, gaze, jax.random.key(3))
            return images["merged"]

        timing = time_jax(fit_once, runs=fit_runs, warmup=1)
        records.append(record("gazenerf_fit_and_redirect", f"gazenerf:{variant}", shapes,
                              fit_steps=config.fit.num_steps, subjects=1,
                              note="full fine-tune (network, offsets, camera) incl. functional loss, "
                                   "then render; reference: about a minute per image", **timing))
    return records
