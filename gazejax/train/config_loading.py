"""Loads ``configs/<method>.py[:variant]`` files and applies command-line overrides.

A config file is a Python file with a module-level ``VARIANTS`` tuple (the first
entry is the default; by convention ``"paper"`` then ``"tiny"``, more allowed)
and ``get_config(variant) -> ml_collections.ConfigDict``.

Standard fields every method config has (read by :mod:`gazejax.train.trainer`)::

    method            "livegaze", "gazenerf", "mggr", "l2cs", or the dotted path of a
                      module exposing METHOD (see gazejax.train.method)
    seed              int; model init, per-step keys and data order derive from it
    num_steps         int; total optimisation steps
    batch_size        int; GLOBAL batch (divisible by jax.device_count())
    log_every         int; metrics to metrics.jsonl / TensorBoard / progress bar,
                      NaN/inf guard
    checkpoint_every  int; orbax save interval (also saved at the end and on
                      SIGTERM/SIGINT)
    sample_every      int; PNG grid from METHOD.sample_images (0 = never)
    keep_checkpoints  int; keep the last N checkpoints
    best_metric       str; metric name used to also keep the best checkpoint
                      ("" = none); best_mode "min" or "max"
    data              ConfigDict, read by :func:`gazejax.data.pipeline.make_pipeline`:
        builder       "synthgaze", or "package.module:function" returning a
                      random-access source for (data_config, split, data_dir)
        resolution, identities, frames, views, test_identities, seed
                      the SynthGaze build (rendered into ``dir`` on first use;
                      test_identities None = a fifth)
        dir           dataset root; "" = $GAZEJAX_DATA or ~/gazejax_data. The
                      pairing index is cached in <dir>/gazejax_index/*.npz
        split         training split, e.g. "train"
        eval_split    split used by eval_step, e.g. "test"
        pairs         bool; yield {'source': rec, 'target': rec} redirection pairs
        same_camera   True / False / None (= either) for the target's view
        num_threads   int; grain read threads (0 = read in the main thread)
    eval              ConfigDict: num_batches (eval_step batches at each checkpoint
                      and in `gazejax evaluate`)

Method-specific fields (``model``, ``optim``, ``loss``...) live beside these.
"""

import ast
import importlib.util
import pathlib

import ml_collections


class ConfigError(ValueError):
    """A bad config path, variant or override; the message is one line."""


def load_config(spec, overrides=()):
    """Loads ``"path/to/file.py[:variant]"`` and applies ``overrides``.

    Args:
      spec: config file path, optionally followed by ``:variant``.
      overrides: strings ``"--config.a.b=value"`` (or ``"a.b=value"``); values
        are parsed with the type of the existing field.

    Returns:
      the ConfigDict, locked so that typos in later code fail loudly.
    """
    path, _, variant = spec.partition(":")
    module = _import_file(pathlib.Path(path))
    variants = tuple(getattr(module, "VARIANTS", ()))
    if not variants or not hasattr(module, "get_config"):
        raise ConfigError(f"{path} must define VARIANTS and get_config(variant)")
    variant = variant or variants[0]
    if variant not in variants:
        raise ConfigError(
            f"unknown variant {variant!r} for {path}; choose from {', '.join(variants)}"
        )
    config = module.get_config(variant)
    for item in overrides:
        apply_override(config, item)
    config.lock()
    return config


def apply_override(config, item):
    """Sets one ``"--config.a.b=value"`` override in place."""
    name, sep, text = item.removeprefix("--").removeprefix("config.").partition("=")
    if not sep or not name:
        raise ConfigError(f"override {item!r} must look like --config.field=value")
    *parents, leaf = name.split(".")
    node = config
    for i, part in enumerate(parents):
        if not isinstance(node, ml_collections.ConfigDict) or part not in node:
            raise ConfigError(f"unknown config field {'.'.join(parents[: i + 1])!r}")
        node = node[part]
    if not isinstance(node, ml_collections.ConfigDict) or leaf not in node:
        raise ConfigError(f"unknown config field {name!r}")
    try:
        value = _parse_like(node[leaf], text)
    except (ValueError, SyntaxError) as e:
        raise ConfigError(f"bad value {text!r} for config field {name!r}: {e}") from None
    with node.unlocked():
        node[leaf] = value


def _parse_like(current, text):
    """Parses ``text`` into the type of ``current`` (the field's existing value)."""
    if isinstance(current, bool):
        lowered = text.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise ValueError("expected true or false")
    if isinstance(current, int):
        return int(text)
    if isinstance(current, float):
        return float(text)
    if isinstance(current, str):
        return text
    if isinstance(current, (tuple, list)):
        parts = [p.strip() for p in text.strip("()[]").split(",") if p.strip()]
        if current:
            return tuple(_parse_like(current[0], p) for p in parts)
        return tuple(_literal_or_str(p) for p in parts)
    if isinstance(current, ml_collections.ConfigDict):
        raise ValueError("it is a group of fields; set its members instead")
    # A None field accepts any literal (None-valued fields are 'unset' options).
    return _literal_or_str(text)


def _literal_or_str(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _import_file(path):
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} not found")
    spec = importlib.util.spec_from_file_location(f"gazejax_config_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
