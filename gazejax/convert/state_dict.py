"""Reading PyTorch checkpoint files into flat ``{key: numpy array}`` dicts."""

import pathlib

# Wrappers that training scripts put around the state_dict (GazeNeRF's
# ``*.pth.tar`` use ``model_state``; many others ``state_dict``).
_WRAPPER_KEYS = ("model_state", "state_dict")
_DATA_PARALLEL_PREFIX = "module."


class ConversionError(ValueError):
    """A checkpoint that cannot be converted; the message is one line."""


def read_state_dict(path):
    """Loads ``.pkl``/``.pth``/``.pth.tar`` -> {key: np.ndarray}, ``module.`` stripped.

    Only tensors are read (``torch.load(weights_only=True)``: no arbitrary
    pickled code runs).
    """
    import torch  # noqa: PLC0415 -- optional dependency, needed only here

    path = pathlib.Path(path)
    if not path.is_file():
        raise ConversionError(f"no such checkpoint file: {path}")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a bad file
        first_line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConversionError(f"{path} is not a readable PyTorch checkpoint: {first_line}") from e
    for key in _WRAPPER_KEYS:
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ConversionError(f"{path} does not hold a state_dict (a dict of tensors)")
    return {_strip(k): v.detach().cpu().numpy() for k, v in obj.items()}


def _strip(key):
    return key[len(_DATA_PARALLEL_PREFIX):] if key.startswith(_DATA_PARALLEL_PREFIX) else key

