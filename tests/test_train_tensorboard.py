"""TensorBoard logging (tensorboardX), read back with TensorBoard's own reader."""

import json
import subprocess
import sys

import numpy as np

from gazejax.train.metrics_log import MetricsLog
from tensorboard_events import read_events


def test_scalars_and_images_round_trip(tmp_path):
    log = MetricsLog(tmp_path)
    log.write(3, {"loss": 0.25, "psnr": 31.5})
    log.write(5, {"mse": 0.125}, split="eval")
    image = np.random.default_rng(0).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    log.image(7, "samples", image)
    log.close()

    [events_file] = (tmp_path / "tensorboard").iterdir()
    assert events_file.name.startswith("events.out.tfevents.")
    events = read_events(tmp_path / "tensorboard")
    scalars = sorted(e for e in events if not isinstance(e[2], np.ndarray))
    assert scalars == [(3, "train/loss", 0.25), (3, "train/psnr", 31.5), (5, "eval/mse", 0.125)]
    [(step, tag, decoded)] = [e for e in events if isinstance(e[2], np.ndarray)]
    assert (step, tag) == (7, "samples")
    np.testing.assert_array_equal(decoded, image)

    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines == [{"step": 3, "split": "train", "loss": 0.25, "psnr": 31.5},
                     {"step": 5, "split": "eval", "mse": 0.125}]


def test_a_disabled_log_writes_nothing(tmp_path):
    log = MetricsLog(tmp_path, enabled=False)
    log.write(1, {"loss": 1.0})
    log.image(1, "samples", np.zeros((2, 2, 3), np.uint8))
    log.close()
    assert list(tmp_path.iterdir()) == []


def test_logging_does_not_import_tensorflow():
    code = "import gazejax.train.metrics_log, sys; assert 'tensorflow' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
