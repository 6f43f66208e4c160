"""``gazejax bench l2cs``: L2CS ResNet-50 inference at 448^2, JAX (jit) vs PyTorch.

Same network, same random weights (converted with gazejax.convert), batch 1
and 32 (``--quick``: 112^2, batch 1 and 4, for smoke tests). PyTorch runs in
eval mode under no_grad with as many threads as JAX has CPU cores; on a GPU
only the JAX side runs on the accelerator and the PyTorch figure stays a CPU
reference.
"""

import os

import jax
import jax.numpy as jnp
import numpy as np

from gazejax.bench.timing import record, time_host, time_jax
from gazejax.convert.l2cs import module_path
from gazejax.convert.tree import map_state_dict
from gazejax.models.l2cs import L2CS

DEPTH, NUM_BINS = 50, 90


def _torch_l2cs():
    """A torchvision-layout L2CS ResNet-50 in plain torch.nn (for timing only)."""
    import torch  # noqa: PLC0415
    from torch import nn  # noqa: PLC0415

    def bn(c):
        return nn.BatchNorm2d(c)

    class Bottleneck(nn.Module):
        def __init__(self, cin, planes, stride):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(cin, planes, 1, bias=False), bn(planes)
            self.conv2, self.bn2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False), bn(planes)
            self.conv3, self.bn3 = nn.Conv2d(planes, planes * 4, 1, bias=False), bn(planes * 4)
            self.downsample = None
            if stride != 1 or cin != planes * 4:
                self.downsample = nn.Sequential(
                    nn.Conv2d(cin, planes * 4, 1, stride, bias=False), bn(planes * 4)
                )

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            y = torch.relu(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
            return torch.relu(y + (x if self.downsample is None else self.downsample(x)))

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False), bn(64)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = 64
            for i, n in enumerate((3, 4, 6, 3)):
                planes = 64 * 2**i
                blocks = []
                for b in range(n):
                    blocks.append(Bottleneck(cin, planes, 2 if (i and not b) else 1))
                    cin = planes * 4
                setattr(self, f"layer{i + 1}", nn.Sequential(*blocks))
            self.fc_yaw_gaze = nn.Linear(2048, NUM_BINS)
            self.fc_pitch_gaze = nn.Linear(2048, NUM_BINS)

        def forward(self, x):
            x = self.maxpool(torch.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            x = x.mean((2, 3))
            return self.fc_yaw_gaze(x), self.fc_pitch_gaze(x)

    return Net().eval()


def run(args):
    import torch  # noqa: PLC0415

    threads = len(os.sched_getaffinity(0))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    torch_net = _torch_l2cs()
    state = {k: v.numpy() for k, v in torch_net.state_dict().items()}
    flax_net = L2CS(depth=DEPTH, num_bins=NUM_BINS)
    size, batches = (112, (1, 4)) if args.quick else (448, (1, 32))
    abstract = jax.eval_shape(flax_net.init, jax.random.key(0), jnp.zeros((1, size, size, 3)))
    variables = jax.device_put(map_state_dict(state, module_path, abstract))
    forward = jax.jit(flax_net.apply)
    records = []
    for batch in batches:
        images = np.random.default_rng(batch).random((batch, size, size, 3), dtype=np.float32)
        jax_t = time_jax(forward, variables, jax.device_put(images), runs=args.runs)
        x = torch.from_numpy(images.transpose(0, 3, 1, 2).copy())

        def torch_forward():
            with torch.no_grad():
                torch_net(x)

        torch_t = time_host(torch_forward, runs=args.runs)
        records.append(
            record(
                "l2cs",
                config={"arch": f"resnet{DEPTH}", "num_bins": NUM_BINS, "batch": batch,
                        "torch_threads": threads, "torch_version": torch.__version__},
                shapes={"images": [batch, size, size, 3]},
                jax=jax_t,
                torch_cpu=torch_t,
                torch_over_jax=torch_t["median_ms"] / jax_t["median_ms"],
                images_per_s_jax=batch / jax_t["median_ms"] * 1e3,
            )
        )
    return records

