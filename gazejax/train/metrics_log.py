"""Where training metrics go: ``metrics.jsonl``, TensorBoard events, and the NaN/inf guard."""

import json
import math
import os
import pathlib
import time

from tensorboardX import SummaryWriter


class NonFiniteLossError(RuntimeError):
    """A metric became NaN or inf; the message names the step and the term."""


def check_finite(step, metrics):
    """Raises :class:`NonFiniteLossError` naming the first non-finite metric.

    The total ``'loss'`` is checked last: when a term is NaN the sum is too,
    and the term is the useful name.
    """
    for name in sorted(metrics, key=lambda k: k == "loss"):
        value = metrics[name]
        if not math.isfinite(value):
            raise NonFiniteLossError(f"step {step}: loss term {name!r} is {value}")


class MetricsLog:
    """Appends ``{"step": s, "split": ..., name: value, ...}`` lines, TensorBoard scalars and images.

    Only process 0 writes (``enabled=False`` elsewhere). TensorBoard tags are
    ``<split>/<name>``, events under ``workdir/tensorboard`` (tensorboardX, no
    TensorFlow needed).
    """

    def __init__(self, workdir, enabled=True):
        self.enabled = enabled
        if enabled:
            workdir = pathlib.Path(workdir)
            self._jsonl = open(workdir / "metrics.jsonl", "a")
            # tensorboardX names files by the second and host: a resumed run starting within the same
            # second would overwrite the previous run's events without a suffix of its own
            self._events = SummaryWriter(str(workdir / "tensorboard"),
                                         filename_suffix=f".{os.getpid()}.{time.time_ns()}")

    def write(self, step, metrics, split="train"):
        if not self.enabled:
            return
        self._jsonl.write(json.dumps({"step": step, "split": split, **metrics}) + "\n")
        self._jsonl.flush()
        for name, value in metrics.items():
            self._events.add_scalar(f"{split}/{name}", value, step)
        self._events.flush()

    def image(self, step, tag, image):
        """Logs one (H, W, 3) uint8 image at ``step`` (TensorBoard only)."""
        if not self.enabled:
            return
        self._events.add_image(tag, image, step, dataformats="HWC")
        self._events.flush()

    def close(self):
        if self.enabled:
            self._jsonl.close()
            self._events.close()
