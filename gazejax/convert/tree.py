"""The generic core: a PyTorch state_dict -> a Flax variables tree.

A network's mapping only says which Flax module a torch module prefix
becomes (``module_path``); the parameter names and layouts follow from the
torch parameter name and rank:

==================  =====  ===================================  ===========================
torch name          rank   Flax leaf                            layout
==================  =====  ===================================  ===========================
weight              4      params/.../kernel (Conv)             OIHW -> HWIO
weight              2      params/.../kernel (Dense)            (out, in) -> (in, out)
weight              1      params/.../scale (BatchNorm)         same
bias                any    params/.../bias                      same
running_mean/var    1      batch_stats/.../mean, var            same
num_batches_tracked        dropped
==================  =====  ===================================  ===========================

Everything is checked against the abstract variables of the Flax network
(``jax.eval_shape`` of its init): missing, unexpected and mis-shaped entries
are reported together in one :class:`ConversionError`. Weights that are not
finite are refused too: a NaN or inf would only show up much later, as a
NaN gaze or loss.
"""

import re

import flax.traverse_util
import numpy as np

from gazejax.convert.state_dict import ConversionError

_LISTED = 6  # entries shown per problem kind in an error message


def _rule(name, ndim):
    """(collection, Flax leaf, torch->flax layout fn, flax->torch shape fn) or None."""
    if name == "weight" and ndim == 4:
        return "params", "kernel", lambda w: w.transpose(2, 3, 1, 0), lambda s: (s[3], s[2], s[0], s[1])
    if name == "weight" and ndim == 2:
        return "params", "kernel", lambda w: w.T, lambda s: s[::-1]
    same = (lambda w: w, lambda s: s)
    if name == "weight" and ndim == 1:
        return ("params", "scale") + same
    if name == "bias":
        return ("params", "bias") + same
    if name == "running_mean":
        return ("batch_stats", "mean") + same
    if name == "running_var":
        return ("batch_stats", "var") + same
    return None


def map_state_dict(state_dict, module_path, abstract, ignored=(), what="the network"):
    """Converts a flat torch state_dict to a Flax variables dict.

    Args:
      state_dict: {torch key: np.ndarray}.
      module_path: torch module prefix (e.g. ``"layer1.0.conv1"``) -> tuple of
        Flax module names, or None if the prefix is not part of the network.
      abstract: the network's variables as ``jax.ShapeDtypeStruct`` leaves.
      ignored: regexes (full match) of torch keys known to be unused.
      what: how to name the network in error messages.

    Returns:
      {'params': ..., 'batch_stats': ...} (whichever collections ``abstract``
      has) of float32 numpy arrays.
    """
    target = flax.traverse_util.flatten_dict(abstract)
    flat, unexpected, mismatched, mismatched_paths, not_finite = {}, [], [], set(), []
    for key, value in state_dict.items():
        prefix, _, name = key.rpartition(".")
        if name == "num_batches_tracked" or any(re.fullmatch(p, key) for p in ignored):
            continue
        module = module_path(prefix) if prefix else None
        rule = _rule(name, value.ndim)
        path = None if module is None or rule is None else (rule[0], *module, rule[1])
        if path not in target:
            unexpected.append(key)
            continue
        _, _, to_flax, to_torch_shape = rule
        expected = tuple(target[path].shape)
        if value.ndim != len(expected) or to_flax(value).shape != expected:
            mismatched.append(f"{key} is {tuple(value.shape)}, expected {tuple(to_torch_shape(expected))}")
            mismatched_paths.add(path)
            continue
        flat[path] = np.asarray(to_flax(value), dtype=np.float32)
        if not np.isfinite(flat[path]).all():
            not_finite.append(key)
    # A mis-shaped entry is reported once, as a mismatch, not also as missing.
    missing = ["/".join(p) for p in target if p not in flat and p not in mismatched_paths]
    problems = [
        _listing("shape mismatch(es)", mismatched),
        _listing("missing Flax variable(s)", missing),
        _listing("unexpected key(s)", unexpected),
    ]
    problems = [p for p in problems if p]
    if problems:
        raise ConversionError(f"checkpoint does not match {what}: " + "; ".join(problems))
    if not_finite:
        raise ConversionError(f"checkpoint of {what} has weights that are not finite: "
                              + _listing("tensor(s) holding NaN or inf", not_finite))
    return flax.traverse_util.unflatten_dict(flat)


def _listing(kind, items):
    if not items:
        return ""
    shown = ", ".join(items[:_LISTED])
    more = f" and {len(items) - _LISTED} more" if len(items) > _LISTED else ""
    return f"{len(items)} {kind}: {shown}{more}"
