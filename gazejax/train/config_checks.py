"""Range checks of a training config, run before the trainer does any work.

Without them a bad value fails late or silently: ``log_every=0`` divides by
zero after minutes of compiling, a NaN learning rate trains a NaN model. The
standard fields are those every method config has (listed in
:mod:`gazejax.train.config_loading`) and, where present, ``num_microbatches``;
beyond them, every number anywhere in
the config must be finite and every learning rate (a field named ``lr`` or
``*_lr``) non-negative.
"""

import math

import ml_collections

from gazejax.train.config_loading import ConfigError
from gazejax.train.microbatching import check_microbatches
from gazejax.train.precision import compute_dtype

AT_LEAST_ONE = ("num_steps", "batch_size", "log_every", "checkpoint_every", "keep_checkpoints")
AT_LEAST_ZERO = ("sample_every", "eval.num_batches")
BEST_MODES = ("min", "max")


def check_config(config):
    """Raises :class:`ConfigError` (one line naming the field) for the first value out of range."""
    for name in AT_LEAST_ONE:
        _check_count(config, name, minimum=1)
    for name in AT_LEAST_ZERO:
        _check_count(config, name, minimum=0)
    if _field(config, "best_mode") not in BEST_MODES:
        raise ConfigError(f"config field best_mode must be one of {', '.join(BEST_MODES)}, "
                          f"got {config.best_mode!r}")
    try:
        compute_dtype(config)
        if "num_microbatches" in config:
            check_microbatches(config.batch_size, config.num_microbatches)
    except ValueError as e:
        raise ConfigError(f"config field {e}") from None
    for name, value in _numbers(config, ""):
        if not math.isfinite(value):
            raise ConfigError(f"config field {name} must be finite, got {value}")
        if _is_learning_rate(name) and value < 0:
            raise ConfigError(f"config field {name} is a learning rate and must be >= 0, got {value}")


def _check_count(config, name, minimum):
    value = _field(config, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"config field {name} must be an integer >= {minimum}, got {value!r}")


def _field(config, dotted):
    node = config
    for part in dotted.split("."):
        if not isinstance(node, ml_collections.ConfigDict) or part not in node:
            raise ConfigError(f"the config lacks the standard field {dotted}")
        node = node[part]
    return node


def _numbers(node, prefix):
    """``(dotted name, value)`` for every int or float in ``node``, sequences included."""
    if isinstance(node, ml_collections.ConfigDict):
        for key, value in node.items():
            yield from _numbers(value, f"{prefix}.{key}" if prefix else key)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _numbers(value, f"{prefix}[{i}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield prefix, node


def _is_learning_rate(name):
    last = name.rsplit(".", 1)[-1]
    return last == "lr" or last.endswith("_lr")
