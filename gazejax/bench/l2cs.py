"""``gazejax bench l2cs``: L2CS inference at 448^2 and the judge's training step, JAX (jit) vs PyTorch.

Same network, same random weights (converted with gazejax.convert); the
PyTorch side is :class:`gazejax.torch_reference.resnet.L2CS`, the network the
parity tests check the JAX one against:

- ``l2cs``: ResNet-50 inference at 448^2, batch 1 and 32 (``--quick``:
  112^2, batch 1 and 4, for smoke tests); PyTorch in eval mode under no_grad;
- ``l2cs_train_step``: the SynthGaze judge's step (``configs/l2cs.py:synthgaze``:
  ResNet-18 at 112^2, batch 32; ``--quick``: batch 4), forward + backward
  with batch statistics, loss = mean square of the logits; PyTorch with
  channels-last tensors (its faster layout on CPUs).

PyTorch uses as many threads as JAX has CPU cores; on a GPU only the JAX
side runs on the accelerator and the PyTorch figure stays a CPU reference.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.bench.memory import ShapeTooBig
from gazejax.bench.timing import record, skipped_record, time_host, time_jax
from gazejax.convert.l2cs import IGNORED, module_path
from gazejax.convert.tree import map_state_dict
from gazejax.models.l2cs import L2CS

DEPTH, NUM_BINS = 50, 90
JUDGE_DEPTH, JUDGE_SIZE, JUDGE_BATCH = 18, 112, 32  # configs/l2cs.py:synthgaze


def _converted(torch_net, flax_net, size):
    state = {k: v.numpy() for k, v in torch_net.state_dict().items()}
    abstract = jax.eval_shape(flax_net.init, jax.random.key(0), jnp.zeros((1, size, size, 3)))
    return jax.device_put(map_state_dict(state, module_path, abstract, IGNORED))


def run(args):
    import torch  # noqa: PLC0415

    from gazejax.torch_reference.resnet import L2CS as TorchL2CS  # noqa: PLC0415

    threads = len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    torch_net = TorchL2CS(DEPTH, NUM_BINS).eval()
    flax_net = L2CS(depth=DEPTH, num_bins=NUM_BINS)
    size, batches = (112, (1, 4)) if args.quick else (448, (1, 32))
    variables = _converted(torch_net, flax_net, size)
    forward = jax.jit(flax_net.apply)
    records = []
    for batch in batches:
        images = np.random.default_rng(batch).random((batch, size, size, 3), dtype=np.float32)
        try:
            jax_t = time_jax(forward, variables, jax.device_put(images), runs=args.runs, budget_bytes=args.budget_bytes)
        except ShapeTooBig as too_big:
            records.append(skipped_record("l2cs", {"arch": f"resnet{DEPTH}", "batch": batch},
                                          {"images": [batch, size, size, 3]}, too_big))
            continue
        x = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())

        def torch_forward():
            with torch.no_grad():
                torch_net(x)

        torch_t = time_host(torch_forward, runs=args.runs)
        records.append(_versus_torch("l2cs", DEPTH, size, batch, jax_t, torch_t, threads,
                                     images_per_s_jax=batch / jax_t["median_ms"] * 1e3))
    records.append(_train_step_record(args, threads))
    return records


def _versus_torch(name, depth, size, batch, jax_t, torch_t, threads, **fields):
    """One record comparing JAX and PyTorch timings of the same network and input."""
    import torch  # noqa: PLC0415

    return record(
        name,
        config={"arch": f"resnet{depth}", "num_bins": NUM_BINS, "batch": batch,
                "torch_threads": threads, "torch_version": torch.__version__},
        shapes={"images": [batch, size, size, 3]},
        jax=jax_t,
        torch_cpu=torch_t,
        torch_over_jax=torch_t["median_ms"] / jax_t["median_ms"],
        **fields,
    )


def _train_step_record(args, threads):
    """Forward + backward of the SynthGaze judge's network, JAX vs PyTorch."""
    import torch  # noqa: PLC0415

    from gazejax.torch_reference.resnet import L2CS as TorchL2CS  # noqa: PLC0415

    batch = 4 if args.quick else JUDGE_BATCH
    torch_net = TorchL2CS(JUDGE_DEPTH, NUM_BINS).train()
    flax_net = L2CS(depth=JUDGE_DEPTH, num_bins=NUM_BINS)
    variables = _converted(torch_net, flax_net, JUDGE_SIZE)
    images = np.random.default_rng(0).random((batch, JUDGE_SIZE, JUDGE_SIZE, 3), dtype=np.float32)

    def loss(params, x):
        logits, _ = flax_net.apply({"params": params, "batch_stats": variables["batch_stats"]}, x,
                                   train=True, mutable=["batch_stats"])
        return jnp.mean(logits["pitch"] ** 2) + jnp.mean(logits["yaw"] ** 2)

    try:
        jax_t = time_jax(jax.jit(jax.grad(loss)), variables["params"], jax.device_put(images), runs=args.runs,
                         budget_bytes=args.budget_bytes)
    except ShapeTooBig as too_big:
        return skipped_record("l2cs_train_step", {"arch": f"resnet{JUDGE_DEPTH}", "batch": batch},
                              {"images": [batch, JUDGE_SIZE, JUDGE_SIZE, 3]}, too_big)
    torch_net = torch_net.to(memory_format=torch.channels_last)
    x = torch.from_numpy(images.transpose(0, 3, 1, 2).copy()).to(memory_format=torch.channels_last)

    def torch_step():
        torch_net.zero_grad()
        yaw, pitch = torch_net(x)
        (pitch.square().mean() + yaw.square().mean()).backward()

    torch_t = time_host(torch_step, runs=args.runs)
    return _versus_torch("l2cs_train_step", JUDGE_DEPTH, JUDGE_SIZE, batch, jax_t, torch_t, threads)

