"""``gazejax bench eg3d``: the EG3D generator and a G+D training step, JAX vs PyTorch.

Workload (EG3D FFHQ 512-128, the released architecture): 512-dim z, 256^2 x
3 x 32 tri-planes, 128^2 rays with 48 + 48 samples, SuperresolutionHybrid8XDC
to 512^2, the 512^2 dual discriminator. Measured: the generator's forward pass
at batch 1 and 4, and one training step at batch 4 (EG3D's per-GPU batch):
``Gmain`` (non-saturating loss through the discriminator, an Adam step of G)
then ``Dmain`` (fakes of the updated generator and reals, an Adam step of D),
Adam betas (0, 0.99). The lazy regularisers (R1, density) and the D-input blur
are not part of the step: they run every 16 / 4 steps in EG3D and would time
a different computation on each side. ``--quick``: the ``:tiny`` sizes (16^2
planes, 16^2 rays, 4 + 4 samples, 2X super-resolution to 128^2), batch 1 and
2, a training step at batch 2, at most 3 runs. ``--variant synthgaze``: the
networks of ``configs/eg3d.py:synthgaze`` (64^2 x 3 x 16 planes, 32^2 rays,
24 + 24 samples, 2X super-resolution to 128^2), the generator at batch 8 and
a training step at its batch, 8.

The PyTorch side is :mod:`gazejax.torch_reference.eg3d` (the network the
converter's parity test checks against), run on the CPU with all its threads;
the JAX side is ``gazejax.methods.eg3d`` with the PyTorch weights converted by
:mod:`gazejax.convert.eg3d`, so both compute the same function (the forward
records give the largest difference of their images). Both render without
random jitter and with the synthesis layers' constant noise. The two sides are
timed by turns, so that both see the same load on a shared machine. JAX's
compile time is reported separately, and its memory is XLA's compiled memory
analysis; a shape whose compiled peak exceeds the budget
(``--memory-budget-gb``) is recorded as skipped with the bytes it needs, and
its PyTorch side is not run either.

:func:`run_jax_only` (the GPU suite's) times the JAX side alone, with
random Flax weights: on an accelerator the PyTorch reference would run on
the host CPU and take most of the suite's time.
"""

import dataclasses
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import optax

from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import compile_checked, record, skipped_record, time_alternating, time_jax
from gazejax.cli import UsageError
from gazejax.convert.eg3d import to_variables
from gazejax.geometry import camera_label
from gazejax.losses.adversarial import nonsaturating_d, nonsaturating_g
from gazejax.methods.eg3d.discriminator import DualDiscriminator, filtered_resize
from gazejax.methods.eg3d.generator import CAMERA_LABEL_SIZE, TriPlaneGenerator
from gazejax.methods.eg3d.training import SR_OUTPUT
from gazejax.train.config_loading import load_config

QUICK_MAX_RUNS = 3


@dataclasses.dataclass(frozen=True)
class Workload:
    """Sizes of one benchmark run (defaults: the released FFHQ 512-128 networks)."""

    forward_batches: tuple
    train_batch: int
    z_dim: int = 512
    w_dim: int = 512
    plane_resolution: int = 256
    plane_channels: int = 32
    channel_base: int = 32768
    channel_max: int = 512
    decoder_hidden: int = 64
    sr_variant: str = "8XDC"
    sr_widths: tuple | None = None
    neural_rendering_resolution: int = 128
    n_coarse: int = 48
    n_fine: int = 48
    d_channel_base: int = 32768
    d_channel_max: int = 512
    g_lr: float = 0.0025
    d_lr: float = 0.002
    betas: tuple = (0.0, 0.99)

    @property
    def resolution(self):
        return SR_OUTPUT[self.sr_variant]


FULL = Workload(forward_batches=(1, 4), train_batch=4)
QUICK = Workload(forward_batches=(1, 2), train_batch=2, z_dim=16, w_dim=16, plane_resolution=16, plane_channels=8,
                 channel_base=128, channel_max=16, decoder_hidden=8, sr_variant="2X", sr_widths=(8, 4),
                 neural_rendering_resolution=16, n_coarse=4, n_fine=4, d_channel_base=256, d_channel_max=16)
CONFIG_FILE = pathlib.Path(__file__).resolve().parents[2] / "configs" / "eg3d.py"


def synthgaze_workload():
    """The networks, batch and optimiser of ``configs/eg3d.py:synthgaze``."""
    config = load_config(f"{CONFIG_FILE}:synthgaze")
    m, o = config.model, config.optim
    sizes = {f: m[f] for f in ("z_dim", "w_dim", "plane_resolution", "plane_channels", "channel_base", "channel_max",
                                "decoder_hidden", "sr_variant", "n_coarse", "n_fine", "d_channel_base",
                                "d_channel_max")}
    return Workload(forward_batches=(config.batch_size,), train_batch=config.batch_size, **sizes,
                    sr_widths=tuple(m.sr_widths) or None,
                    neural_rendering_resolution=config.schedule.neural_rendering_resolution_initial,
                    g_lr=o.g_lr, d_lr=o.d_lr, betas=(o.b1, o.b2))


VARIANTS = ("synthgaze",)


def _workload(args):
    if args.variant == "synthgaze":
        return synthgaze_workload()
    return QUICK if args.quick else FULL


def run(args):
    try:
        import torch
    except ImportError:
        raise UsageError("gazejax bench eg3d needs PyTorch for its reference timings: pip install 'gazejax[torch]'")
    w = _workload(args)
    runs = min(args.runs, QUICK_MAX_RUNS) if args.quick else args.runs
    return _measure_all(Networks(w, torch), w, runs, args.budget_bytes)


def run_jax_only(args):
    """The JAX records of :func:`run` without PyTorch: random Flax weights, no comparison."""
    w = _workload(args)
    runs = min(args.runs, QUICK_MAX_RUNS) if args.quick else args.runs
    return _measure_all(Networks(w, None), w, runs, args.budget_bytes)


def _measure_all(nets, w, runs, budget_bytes):
    records = []
    for batch in w.forward_batches:
        records += measure_forward(nets, batch, runs, budget_bytes)
    return records + measure_train_step(nets, w.train_batch, runs, budget_bytes)


class Networks:
    """The PyTorch generator and discriminator (seeded random weights) and their Flax twins.

    With ``torch=None``, the Flax networks alone, with random weights.
    """

    def __init__(self, w, torch):
        self.w, self.torch = w, torch
        self.generator = TriPlaneGenerator(
            backbone=dict(z_dim=w.z_dim, c_dim=CAMERA_LABEL_SIZE, w_dim=w.w_dim, resolution=w.plane_resolution,
                          plane_channels=w.plane_channels, channel_base=w.channel_base, channel_max=w.channel_max),
            decoder_hidden=w.decoder_hidden, sr_variant=w.sr_variant, sr_widths=w.sr_widths,
            neural_rendering_resolution=w.neural_rendering_resolution, n_coarse=w.n_coarse, n_fine=w.n_fine)
        self.discriminator = DualDiscriminator(w.resolution, CAMERA_LABEL_SIZE, w.d_channel_base, w.d_channel_max)
        if torch is None:
            z, c, real = self.inputs(1)
            self.g_vars = jax.jit(self.generator.init)(jax.random.key(0), z, c, c)
            self.d_vars = jax.jit(self.discriminator.init)(jax.random.key(1), real, c)
            return
        from gazejax.torch_reference import eg3d as torch_eg3d  # noqa: PLC0415

        torch.manual_seed(0)
        self.torch_g = torch_eg3d.TriPlaneGenerator(
            z_dim=w.z_dim, w_dim=w.w_dim, plane_resolution=w.plane_resolution, plane_channels=w.plane_channels,
            channel_base=w.channel_base, channel_max=w.channel_max, decoder_hidden=w.decoder_hidden,
            sr_variant=w.sr_variant, sr_widths=w.sr_widths, neural_rendering_resolution=w.neural_rendering_resolution,
            n_coarse=w.n_coarse, n_fine=w.n_fine)
        self.torch_d = torch_eg3d.DualDiscriminator(w.resolution, w.d_channel_base, w.d_channel_max)
        self.g_vars = _flax_variables(self.torch_g)
        self.d_vars = _flax_variables(self.torch_d)

    def inputs(self, batch):
        """``(z (N, z_dim), c (N, 25), real {'image', 'image_raw'} in [-1, 1])`` as JAX arrays, fixed seeds."""
        rng = np.random.default_rng(0)
        yaw = np.linspace(-0.3, 0.3, batch)
        c = np.asarray(camera_label(yaw, 0.1 * yaw), np.float32)
        z = rng.standard_normal((batch, self.w.z_dim), dtype=np.float32)
        image = jnp.asarray(rng.uniform(-1, 1, (batch, self.w.resolution, self.w.resolution, 3)).astype(np.float32))
        real = {"image": image, "image_raw": filtered_resize(image, self.w.neural_rendering_resolution)}
        return jnp.asarray(z), jnp.asarray(c), real

    def to_torch(self, a):
        """A JAX array as a torch tensor, images NHWC -> NCHW."""
        a = np.array(a)
        return self.torch.from_numpy(a.transpose(0, 3, 1, 2).copy() if a.ndim == 4 else a)


def _flax_variables(module):
    return to_variables({k: v.detach().numpy() for k, v in module.state_dict().items()})


def _config(w, batch):
    return dataclasses.asdict(w) | dict(batch=batch)


def measure_forward(nets, batch, runs, budget_bytes):
    """Records of ``G(z, c, c)`` at ``batch``: JAX, then PyTorch timed by turns."""
    w, torch = nets.w, nets.torch
    z, c, _ = nets.inputs(batch)

    def forward(g_vars, z, c):
        return nets.generator.apply(g_vars, z, c, c, noise_mode="const")

    shapes = dict(z=list(z.shape), image=[batch, w.resolution, w.resolution, 3],
                  image_raw=[batch, w.neural_rendering_resolution, w.neural_rendering_resolution, 3])
    config = _config(w, batch)
    try:
        compiled, measured = compile_checked(jax.jit(forward), nets.g_vars, z, c, budget_bytes=budget_bytes)
    except ShapeTooBig as too_big:
        return [skipped_record("eg3d/generator_forward/jax", config, shapes, too_big)]
    if torch is None:
        t = dict(measured, **time_jax(compiled, nets.g_vars, z, c, runs=runs, warmup=1))
        return [record("eg3d/generator_forward/jax", config, shapes, **t,
                       images_per_s=batch / (t["median_ms"] / 1e3))]
    z_t, c_t = nets.to_torch(z), nets.to_torch(c)

    def torch_forward():
        with torch.no_grad():
            return nets.torch_g(z_t, c_t, c_t)

    timed = time_alternating({"jax": lambda: jax.block_until_ready(compiled(nets.g_vars, z, c)),
                              "torch": torch_forward}, runs=runs, warmup=1)
    difference = float(np.max(np.abs(np.asarray(compiled(nets.g_vars, z, c)["image"])
                                      - torch_forward()["image"].numpy().transpose(0, 2, 3, 1))))
    t, tt = dict(measured, **timed["jax"]), timed["torch"]
    return [
        record("eg3d/generator_forward/jax", config, shapes, **t, images_per_s=batch / (t["median_ms"] / 1e3),
               max_abs_difference_vs_torch=difference),
        record("eg3d/generator_forward/torch", config, shapes, **tt, images_per_s=batch / (tt["median_ms"] / 1e3),
               **_torch_fields(torch), jax_speedup_vs_torch=tt["median_ms"] / t["median_ms"]),
    ]


def measure_train_step(nets, batch, runs, budget_bytes):
    """Records of one Gmain + Dmain step at ``batch``: JAX, then PyTorch timed by turns."""
    w, torch = nets.w, nets.torch
    z, c, real = nets.inputs(batch)
    step, g_tx, d_tx = _jax_train_step(nets)
    g_params, d_params = nets.g_vars["params"], nets.d_vars["params"]
    buffers = {k: v for k, v in nets.g_vars.items() if k != "params"}
    args = (g_params, d_params, g_tx.init(g_params), d_tx.init(d_params), buffers, z, c, real)
    shapes = dict(z=list(z.shape), image=list(real["image"].shape), image_raw=list(real["image_raw"].shape))
    config = _config(w, batch)
    try:
        compiled, measured = compile_checked(jax.jit(step), *args, budget_bytes=budget_bytes)
    except ShapeTooBig as too_big:
        return [skipped_record("eg3d/train_step/jax", config, shapes, too_big)]
    if torch is None:
        t = dict(measured, **time_jax(compiled, *args, runs=runs, warmup=1))
        return [record("eg3d/train_step/jax", config, shapes, **t, images_per_s=batch / (t["median_ms"] / 1e3))]
    timed = time_alternating({"jax": lambda: jax.block_until_ready(compiled(*args)),
                              "torch": _torch_train_step(nets, z, c, real)}, runs=runs, warmup=1)
    t, tt = dict(measured, **timed["jax"]), timed["torch"]
    return [
        record("eg3d/train_step/jax", config, shapes, **t, images_per_s=batch / (t["median_ms"] / 1e3)),
        record("eg3d/train_step/torch", config, shapes, **tt, images_per_s=batch / (tt["median_ms"] / 1e3),
               **_torch_fields(torch), jax_speedup_vs_torch=tt["median_ms"] / t["median_ms"]),
    ]


def _jax_train_step(nets):
    """``(step, g_tx, d_tx)``: Gmain then Dmain, each an Adam step; returns the new parameters and losses."""
    w = nets.w
    g_tx = optax.adam(w.g_lr, b1=w.betas[0], b2=w.betas[1], eps=1e-8)
    d_tx = optax.adam(w.d_lr, b1=w.betas[0], b2=w.betas[1], eps=1e-8)

    def step(g_params, d_params, g_opt, d_opt, buffers, z, c, real):
        def fakes(params):
            out = nets.generator.apply({**buffers, "params": params}, z, c, c, noise_mode="const")
            return {"image": out["image"], "image_raw": out["image_raw"]}

        def logits(params, images):
            return nets.discriminator.apply({"params": params}, images, c)

        g_loss, g_grads = jax.value_and_grad(lambda p: nonsaturating_g(logits(d_params, fakes(p))))(g_params)
        updates, g_opt = g_tx.update(g_grads, g_opt, g_params)
        g_params = optax.apply_updates(g_params, updates)
        fake = jax.lax.stop_gradient(fakes(g_params))
        d_loss, d_grads = jax.value_and_grad(lambda p: nonsaturating_d(logits(p, real), logits(p, fake)))(d_params)
        updates, d_opt = d_tx.update(d_grads, d_opt, d_params)
        return g_params, optax.apply_updates(d_params, updates), g_opt, d_opt, g_loss, d_loss

    return step, g_tx, d_tx


def _torch_train_step(nets, z, c, real):
    """A no-argument callable running the same Gmain + Dmain step in PyTorch (EG3D's phase order)."""
    torch, w = nets.torch, nets.w
    g, d = nets.torch_g, nets.torch_d
    g_opt = torch.optim.Adam(g.parameters(), lr=w.g_lr, betas=w.betas, eps=1e-8)
    d_opt = torch.optim.Adam(d.parameters(), lr=w.d_lr, betas=w.betas, eps=1e-8)
    z_t, c_t = nets.to_torch(z), nets.to_torch(c)
    real_t = {k: nets.to_torch(v) for k, v in real.items()}
    softplus = torch.nn.functional.softplus

    def fakes():
        out = g(z_t, c_t, c_t)
        return {"image": out["image"], "image_raw": out["image_raw"]}

    def call():
        # as EG3D's training loop, only the phase's own network takes gradients
        g.requires_grad_(True)
        d.requires_grad_(False)
        g_opt.zero_grad(set_to_none=True)
        softplus(-d(fakes(), c_t)).mean().backward()
        g_opt.step()
        g.requires_grad_(False)
        d.requires_grad_(True)
        d_opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            fake = fakes()
        (softplus(d(fake, c_t)).mean() + softplus(-d(real_t, c_t)).mean()).backward()
        d_opt.step()

    return call


def _torch_fields(torch):
    return dict(torch_version=torch.__version__, torch_device="cpu", torch_threads=torch.get_num_threads())
