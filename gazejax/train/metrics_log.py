"""Where training metrics go: ``metrics.jsonl``, TensorBoard events, and the NaN/inf guard."""

import json
import math
import pathlib

from gazejax.train.tensorboard import EventWriter


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
    """Appends ``{"step": s, "split": ..., name: value, ...}`` lines and TB scalars.

    Only process 0 writes (``enabled=False`` elsewhere). TensorBoard tags are
    ``<split>/<name>``, events under ``workdir/tensorboard``.
    """

    def __init__(self, workdir, enabled=True):
        self.enabled = enabled
        if enabled:
            workdir = pathlib.Path(workdir)
            self._jsonl = open(workdir / "metrics.jsonl", "a")
            self.events = EventWriter(workdir / "tensorboard")

    def write(self, step, metrics, split="train"):
        if not self.enabled:
            return
        self._jsonl.write(json.dumps({"step": step, "split": split, **metrics}) + "\n")
        self._jsonl.flush()
        self.events.scalars(step, {f"{split}/{k}": v for k, v in metrics.items()})
        self.events.flush()

    def close(self):
        if self.enabled:
            self._jsonl.close()
            self.events.close()
