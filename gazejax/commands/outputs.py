"""What the commands write: destinations checked before the work, values checked before writing.

One policy for every command:

- missing parent folders of an output are created when it is written;
- an output that could not be written is refused (one line, exit 2) before
  any work starts: a directory where a file goes, a file where a directory
  goes, a parent path that runs through a file, a folder without write
  permission, an image name whose suffix names no image format;
- inference outputs that are not finite (NaN or inf) are refused before
  anything is written (one line, exit 1: the input was fine, the model
  failed), so a failed run leaves no plausible-looking file.
"""

import os
import pathlib

from gazejax.cli import CommandFailed, UsageError


def check_file_destination(path, flag):
    """``path`` as a Path, once it is known that a file can be written there."""
    path = pathlib.Path(path)
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a directory; give a file name")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{flag} {path} is not writable")
    _check_parents(path, flag)
    return path


def check_image_destination(path, flag):
    """:func:`check_file_destination`, and the suffix names a format PIL writes (``.png``, ``.jpg``)."""
    from PIL import Image  # noqa: PLC0415

    path = check_file_destination(path, flag)
    if Image.registered_extensions().get(path.suffix.lower()) not in Image.SAVE:
        raise UsageError(f"{flag} {path}: cannot tell an image format from the suffix "
                         f"{path.suffix or '(none)'}; give e.g. a .png file")
    return path


def check_directory_destination(path, flag):
    """``path`` as a Path, once it is known that a directory can be written (or made) there."""
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{flag} {path} is a file; give a directory")
    if path.is_dir() and not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path} is not writable")
    _check_parents(path, flag)
    return path


def _check_parents(path, flag):
    """The nearest existing folder above ``path`` is a folder we may create things in."""
    existing = next(p for p in path.absolute().parents if p.exists())
    if not existing.is_dir():
        raise UsageError(f"{flag} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: cannot create files in {existing} (not writable)")


def check_finite(what, **arrays):
    """CommandFailed naming the non-finite entries of ``arrays``, before any of them is written."""
    import numpy as np  # noqa: PLC0415

    bad = [name for name, array in arrays.items() if not np.isfinite(np.asarray(array)).all()]
    if bad:
        raise CommandFailed(f"{what}: {', '.join(bad)} not finite (NaN or inf); nothing was written")


def write_image(path, image):
    """Writes float ``(H, W, 3)`` in [0, 1] (clipped) as an 8-bit image file, creating its folder."""
    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.clip(image, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)).save(path)
    print(f"wrote {path}")


def write_text(path, text):
    """Writes ``text`` to ``path``, creating its folder."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
