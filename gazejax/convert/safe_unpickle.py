"""Reading pickles of whole PyTorch modules without running any of their code.

Some releases (NVlabs' StyleGAN2-ADA/EG3D ``.pkl`` snapshots) pickle whole
modules: classes wrapped by ``torch_utils.persistence`` carry their source
code and rebuild themselves by executing it, others are referred to by import
path. :func:`load` reads such a file with an unpickler whose only callables
rebuild tensors and plain containers:

- tensors and parameters (``torch._utils._rebuild_tensor_v2``,
  ``_rebuild_parameter``; storages through ``torch.load(weights_only=True)``),
  ``OrderedDict``, sets, numpy arrays, scalars and dtypes;
- a persistence-wrapped object becomes a :class:`ModuleRecord` holding its
  class name and attribute dict; its source code is kept as text, never run;
- an object of a class named in ``record_classes`` becomes a
  :class:`ModuleRecord` too (its attributes only; the class is not imported);
- dict subclasses named in ``dict_classes`` become plain dicts.

Any other global (``os.system``, ``builtins.eval``, an unknown class, ...)
stops the read with a one-line :class:`UnsafePickleError` before anything
it names is called.
"""

import collections
import io
import pickle

PERSISTENT_RECONSTRUCT = ("torch_utils.persistence", "_reconstruct_persistent_obj")


class UnsafePickleError(ValueError):
    """The pickle names a global outside the allowed set; the message is one line."""


class ModuleRecord:
    """A pickled object rebuilt as data: ``class_name`` and ``state`` (its ``__dict__``)."""

    class_name = None

    def __init__(self, class_name=None, state=None):
        if class_name is not None:
            self.class_name = class_name
        self.state = state or {}

    def __setstate__(self, state):
        self.state = state if isinstance(state, dict) else {"state": state}

    def __repr__(self):
        return f"ModuleRecord({self.class_name})"


def _persistent_record(meta):
    if not isinstance(meta, dict) or "class_name" not in meta:
        raise UnsafePickleError("a persistence record without a class name")
    return ModuleRecord(meta["class_name"], meta.get("state"))


def _record_class(name):
    return type("Record", (ModuleRecord,), {"class_name": name})


def _newobj_reconstructor(cls, base, state):
    del base, state  # copyreg._reconstructor(cls, object, None): BUILD sets the state
    return cls.__new__(cls)


def _tensor_functions():
    import torch  # noqa: PLC0415 -- optional dependency, only for reading torch files

    def storage_from_bytes(data):
        return torch.load(io.BytesIO(data), weights_only=True)

    def parameter(data, requires_grad, backward_hooks, *rest):
        del requires_grad, backward_hooks, rest
        return data

    return {
        ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
        ("torch._utils", "_rebuild_parameter"): parameter,
        ("torch.storage", "_load_from_bytes"): storage_from_bytes,
    }


def _numpy_functions():
    import numpy as np  # noqa: PLC0415

    from numpy._core import multiarray  # noqa: PLC0415

    allowed = {("numpy", "dtype"): np.dtype, ("numpy", "ndarray"): np.ndarray}
    for core in ("numpy.core.multiarray", "numpy._core.multiarray"):  # numpy 1 and 2 pickles
        allowed[(core, "scalar")] = multiarray.scalar
        allowed[(core, "_reconstruct")] = multiarray._reconstruct
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, file, allowed, what):
        super().__init__(file)
        self._allowed = allowed
        self._what = what

    def find_class(self, module, name):
        found = self._allowed.get((module, name))
        if found is None:
            raise UnsafePickleError(
                f"{self._what} refers to {module}.{name}, which is not read (only tensors, plain containers "
                "and known module records are; anything else could run code)")
        return found

    def persistent_load(self, pid):
        raise UnsafePickleError(f"{self._what} uses persistent ids, which a module snapshot does not")


def load(path, record_classes=(), dict_classes=()):
    """Unpickles ``path`` with only data-rebuilding globals (module docstring).

    Args:
      path: the pickle file.
      record_classes: dotted class names read as :class:`ModuleRecord` (their attributes only).
      dict_classes: dotted names of dict subclasses read as plain dicts.

    Returns:
      the unpickled object tree.
    """
    allowed = {
        ("collections", "OrderedDict"): collections.OrderedDict,
        ("builtins", "set"): set,
        ("builtins", "frozenset"): frozenset,
        ("copyreg", "_reconstructor"): _newobj_reconstructor,
        ("builtins", "object"): object,  # the reconstructor's base argument
        PERSISTENT_RECONSTRUCT: _persistent_record,
        **_tensor_functions(),
        **_numpy_functions(),
    }
    for name in record_classes:
        allowed[tuple(name.rsplit(".", 1))] = _record_class(name)
    for name in dict_classes:
        allowed[tuple(name.rsplit(".", 1))] = dict
    with open(path, "rb") as f:
        try:
            return _RestrictedUnpickler(f, allowed, str(path)).load()
        except UnsafePickleError:
            raise
        except (pickle.UnpicklingError, EOFError, AttributeError, TypeError, ValueError) as e:
            raise UnsafePickleError(f"{path} is not a readable pickle: {e}") from None
