"""Reading PyTorch checkpoint files into flat ``{key: numpy array}`` dicts."""

import pathlib
import pickle
import warnings
import zipfile

from gazejax.errors import first_line

# Wrappers that training scripts put around the state_dict (GazeNeRF's
# ``*.pth.tar`` use ``model_state``; many others ``state_dict``).
_WRAPPER_KEYS = ("model_state", "state_dict")
_DATA_PARALLEL_PREFIX = "module."
# torch.save writes a zip archive (since PyTorch 1.6) or, in its legacy format, a pickle
_PICKLE_START = pickle.PROTO
# how torch.load(weights_only=True) starts its message when the file holds more than tensors
_WEIGHTS_ONLY_REFUSAL = "Weights only load failed"


class ConversionError(ValueError):
    """A checkpoint that cannot be converted; the message is one line."""


def read_state_dict(path):
    """Loads ``.pkl``/``.pth``/``.pth.tar`` -> {key: np.ndarray}, ``module.`` stripped.

    Only tensors are read (``torch.load(weights_only=True)``: no arbitrary
    pickled code runs).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise ConversionError(f"no such checkpoint file: {path}")
    try:
        import torch  # noqa: PLC0415 -- optional dependency, needed only here
    except ImportError:
        raise ConversionError("reading PyTorch checkpoints needs PyTorch: pip install 'gazejax[torch]'") from None
    with path.open("rb") as f:
        start = f.read(1)
    if start != _PICKLE_START and not zipfile.is_zipfile(path):
        raise ConversionError(f"{path} is not a readable PyTorch checkpoint: neither a zip archive nor a "
                              "pickle, the two formats torch.save writes")
    try:
        # torch warns about the pickle protocol before refusing a foreign pickle; the refusal says enough
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a bad file
        if _WEIGHTS_ONLY_REFUSAL in str(e):  # classes, numpy arrays, a whole model: code could run
            raise ConversionError(f"{path} holds Python objects besides tensors (a whole pickled model?), "
                                  "which are not loaded, for safety; save its state_dict() instead") from None
        reason = first_line(e)
        raise ConversionError(f"{path} is not a readable PyTorch checkpoint: {reason}") from e
    for key in _WRAPPER_KEYS:
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ConversionError(f"{path} does not hold a state_dict (a dict of tensors)")
    return {_strip(k): v.detach().cpu().numpy() for k, v in obj.items()}


def _strip(key):
    return key[len(_DATA_PARALLEL_PREFIX):] if key.startswith(_DATA_PARALLEL_PREFIX) else key

