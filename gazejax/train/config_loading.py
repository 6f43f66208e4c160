"""Loads ``configs/<method>.py[:arg]`` files and applies command-line overrides.

Parsing is ml_collections' ``config_flags`` (absl flags): ``--config FILE.py:arg``
loads the file and calls its ``get_config(arg)`` (``get_config()`` when there is
no colon), and every ``--config.a.b=value`` (or ``--config.a.b value``; boolean
fields take ``=``) is parsed with the type of the existing field. Fields that
hold None and should be overridable are typed placeholders
(``ml_collections.config_dict.placeholder(bool)``); fields derived from others
are ``FieldReference`` expressions, so an override of the source updates them.

What this module adds to the library, each because the library does not do it:

- one :class:`ConfigError` line per mistake. config_flags defers a missing
  file's error to the first use of the config, as a multi-line message; it
  re-raises an exception of the config file with the whole traceback in its
  message; and an override of a field that does not exist surfaces as a bare
  ``KeyError('nope')`` or ``AttributeError("'lrx'\nDid you mean ...")`` that does
  not say which override it was, so the field is found here by walking the config.
- a fresh module for every load: config_flags executes each file into one
  module (``SourceFileLoader.load_module``), so a file would otherwise see the
  names the previously loaded file defined.
- tokens absl leaves over (``--config.data.pairs false``: booleans take no
  separate value) are an error instead of being ignored.
- :func:`load_config` takes ``"a.b=value"`` from Python and adds the ``--config.``.

A config file defines ``get_config(arg=None) -> ml_collections.ConfigDict`` and
reads ``arg`` with :func:`gazejax.train.config_args.parse_config_arg`: one base
variant (by convention ``paper`` and ``tiny``, more allowed; the first is the
default) then ``key=value`` options, e.g. ``configs/mggr.py:synthgaze,ablation=no_flow``.

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

Optional: ``num_microbatches`` (int dividing ``batch_size``) for the methods
that accumulate a step's gradient over slices of its batch
(:mod:`gazejax.train.microbatching`; LiveGaze). Method-specific fields
(``model``, ``optim``, ``loss``...) live beside these.
The trainer checks the ranges (counts >= 1, ``sample_every`` and
``eval.num_batches`` >= 0, every number finite, learning rates >= 0) before
any work: :mod:`gazejax.train.config_checks`.
"""

import pathlib
import sys

import ml_collections
from absl import flags
from ml_collections import config_flags

_FLAG = "config"
# config_flags executes every config file into this one module (named after the flag).
_MODULE = f"{_FLAG}_config"


class ConfigError(ValueError):
    """A bad config path, variant or override; the message is one line."""


def load_config(spec, overrides=()):
    """Loads ``"path/to/file.py[:arg]"`` and applies ``overrides`` (Python callers).

    Args:
      spec: config file path, optionally followed by ``:arg``.
      overrides: one ``"a.b=value"`` per item (a leading ``--config.`` or
        ``config.`` is allowed); values are parsed with the field's type.

    Returns:
      the ConfigDict, locked so that typos in later code fail loudly.
    """
    tokens = [f"--{_FLAG}.{item.removeprefix('--').removeprefix(f'{_FLAG}.')}" for item in overrides]
    return load_config_from_command_line(spec, tokens)


def load_config_from_command_line(spec, tokens):
    """Like :func:`load_config`, with the override tokens as typed after ``--config spec``.

    ``tokens`` are absl flags: ``--config.a.b=value`` or ``--config.a.b value``.
    """
    path = spec.partition(":")[0]
    if not pathlib.Path(path).is_file():
        raise ConfigError(f"config file {path!r} not found")
    try:
        config, leftover = _parse(spec, tokens)
    except flags.Error as e:
        raise ConfigError(_describe_flag_error(e, path)) from e
    except (AttributeError, KeyError, IndexError) as e:
        raise ConfigError(_describe_lookup_error(e, spec, tokens)) from e
    except Exception as e:  # the file itself failed: a syntax error, a PNG, an exception in it
        raise ConfigError(f"config file {path!r} failed: {_describe(e)}") from e
    if leftover:
        raise ConfigError(f"unexpected argument {leftover[0]!r}; overrides look like "
                          f"--{_FLAG}.a.b=value (booleans need the '=')")
    if not isinstance(config, ml_collections.ConfigDict):
        # config_flags defers an OSError raised while loading until the config is first used.
        try:
            getattr(config, "lock", None)
        except OSError as e:
            raise ConfigError(f"config file {path!r} failed: {_describe(e)}") from e
        raise ConfigError(f"get_config in {path!r} returned {type(config).__name__}, not a ConfigDict")
    return config


def _parse(spec, tokens):
    """``(locked config, positional tokens absl left over)``."""
    argv = ["gazejax", f"--{_FLAG}={spec}", *tokens]
    # A fresh module per load: otherwise a file would see the names the previous file defined.
    sys.modules.pop(_MODULE, None)
    values = flags.FlagValues()
    holder = config_flags.DEFINE_config_file(_FLAG, flag_values=values, lock_config=True, sys_argv=argv)
    leftover = values(argv)[1:]
    return holder.value, leftover


def _describe_flag_error(error, path):
    """absl's error; for the config file's own flag, the exception the file raised."""
    if not str(error).startswith(f"flag --{_FLAG}="):
        return _first_line(error)  # names the override: "flag --config.a=x: <why>"
    raised = _raised_by_file(error)
    if isinstance(raised, ConfigError):
        return str(raised)
    return f"config file {path!r} failed: {_describe(raised)}"


def _raised_by_file(error):
    """config_flags re-raises the file's TypeError/ValueError with the traceback in its
    message, and absl re-raises that; each inside the handler of the one before."""
    wrapper = error.__context__
    if wrapper is None or wrapper.__context__ is None:
        return wrapper or error
    return wrapper.__context__


def _describe_lookup_error(error, spec, tokens):
    """Names the override whose field does not exist (config_flags raises a bare key)."""
    try:
        config, _ = _parse(spec, [])
    except Exception:  # the file itself raised it: report the original error
        return f"config file {spec.partition(':')[0]!r} failed: {_describe(error)}"
    for token in tokens:
        if token.startswith(f"--{_FLAG}."):
            name = token.split("=", 1)[0].removeprefix(f"--{_FLAG}.")
            missing = _first_missing(config, name)
            if missing:
                return f"unknown config field {missing!r}"
    return _describe(error)


def _first_missing(config, name):
    """The shortest prefix of dotted ``name`` that ``config`` lacks, or None."""
    node, parts = config, name.split(".")
    for i, part in enumerate(parts):
        if not isinstance(node, ml_collections.ConfigDict) or part not in node:
            return ".".join(parts[: i + 1])
        node = node[part]
    return None


def _describe(error):
    return f"{type(error).__name__}: {_first_line(error)}"


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
