"""Two JAX processes over loopback (jax.distributed, gloo CPU collectives), 4 devices each."""

import os
import pathlib
import socket
import subprocess
import sys

import jax
import numpy as np

from gazejax.train import checkpointing, trainer
from gazejax.train.config_loading import load_config

TESTS = pathlib.Path(__file__).parent
TOY = str(TESTS / "toy_config.py")
OVERRIDES = ["--config.num_steps=3", "--config.sample_every=0"]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_train_like_one(tmp_path):
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(TESTS.parent), str(TESTS)]),
        XLA_FLAGS="--xla_force_host_platform_device_count=4",
        JAX_PLATFORMS="cpu",
        JAX_DEFAULT_MATMUL_PRECISION="highest",
    )
    address = f"127.0.0.1:{_free_port()}"
    code = "import sys; from gazejax.cli import main; sys.exit(main())"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, "train", "--config", "toy_config.py:tiny",
             "--workdir", str(tmp_path / "two"), "--coordinator-address", address,
             "--num-processes", "2", "--process-id", str(i), *OVERRIDES],
            env=env, cwd=TESTS, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert "parameters:" in outputs[0] and "parameters:" not in outputs[1]  # process 0 logs

    config = load_config(TOY + ":tiny", OVERRIDES)
    single = trainer.train(config, tmp_path / "one", progress=False)
    abstract = jax.tree.map(
        lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=x.sharding), single
    )
    key = jax.random.PRNGKey(0)
    checkpoints = checkpointing.Checkpoints(tmp_path / "two", 2, "mse", "min")
    two, _, data_step = checkpoints.restore(abstract, key, 3)
    checkpoints.close()
    assert data_step == 3 and int(two.step) == 3
    jax.tree.map(
        lambda a, b: np.testing.assert_allclose(a, b, atol=1e-6, rtol=0),
        jax.device_get(two.params), jax.device_get(single.params),
    )
