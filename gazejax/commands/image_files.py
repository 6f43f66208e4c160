"""The one image reader of the commands: any image file -> float32 RGB in [0, 1], or a one-line refusal.

How each PIL mode is read:

=====================================================  ===========================================
mode                                                   read as
=====================================================  ===========================================
``RGB``, ``L``, ``1``, ``P``, ``RGBX``, ``CMYK``,      PIL's conversion to 8-bit RGB, / 255
``YCbCr``, ``LAB``, ``HSV``
``I;16`` (16-bit grayscale), ``I`` from a PNG          value / 65535 (its bit depth), in R, G and B
(where it can only hold 16 bits)
``RGBA``, ``LA``, ``PA``, a palette or grey image      the alpha is dropped when every pixel is
with a transparent colour                              opaque; a transparent pixel is refused (the
                                                       model never saw what is behind it)
``I`` (32-bit integer, not PNG), ``F`` (float), other  refused: no defined white level
=====================================================  ===========================================

The EXIF orientation is applied. A file of more than :data:`MAX_PIXELS`
pixels is refused before it is decoded, so a small file that decompresses
to gigabytes (a decompression bomb) costs nothing.
"""

import pathlib
import warnings

from gazejax.cli import UsageError

# Face crops are at most 512^2; a 4096^2 photo still fits. Above this the decode
# alone would take gigabytes, so the header's size is checked first.
MAX_PIXELS = 4096 * 4096
SIXTEEN_BIT_WHITE = 65535
EIGHT_BIT_MODES = ("RGB", "L", "1", "P", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N")
ALPHA_MODES = ("RGBA", "LA", "PA")


def read_rgb(path, size=None):
    """The image at ``path`` as float32 ``(H, W, 3)`` in [0, 1].

    With ``size``, resized to ``(size, size)`` by PIL's antialiased bilinear
    filter (as torchvision's ``Resize`` does on files), at the file's own
    precision (8-bit images as 8-bit, 16-bit ones in float).

    Raises:
      UsageError: one line naming the file and what is wrong with it.
    """
    from PIL import Image, ImageOps  # noqa: PLC0415

    path = pathlib.Path(path)
    if not path.is_file():
        raise UsageError(f"{path} is a directory, not an image" if path.is_dir() else f"no such image: {path}")
    try:
        # Sizes between MAX_PIXELS and PIL's own bomb limit would warn before our one-line refusal.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                if width * height > MAX_PIXELS:
                    raise UsageError(f"{path} is {width}x{height}, more than the {MAX_PIXELS} pixels "
                                     "an input image may have (a decompression bomb?)")
                return _float_rgb(ImageOps.exif_transpose(im), im.format, path, size)
    except Image.DecompressionBombError as e:
        raise UsageError(f"{path} is too large to decode: {e}") from None
    except (OSError, ValueError) as e:  # unreadable, truncated, or PIL's chunk-size limits
        raise UsageError(f"cannot read image {path}: {e}") from None


def _float_rgb(im, file_format, path, size):
    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    if im.mode in SIXTEEN_BIT_MODES or (im.mode == "I" and file_format == "PNG"):
        grey = Image.fromarray(np.asarray(im, np.float32) / SIXTEEN_BIT_WHITE, "F")
        if size is not None:
            grey = grey.resize((size, size), Image.BILINEAR)
        return np.repeat(np.asarray(grey, np.float32)[..., None], 3, axis=-1)
    if im.mode in ALPHA_MODES or (im.mode in EIGHT_BIT_MODES and "transparency" in im.info):
        im = _opaque(im, path)
    if im.mode not in EIGHT_BIT_MODES:
        raise UsageError(f"{path} is a PIL mode {im.mode} image, which has no defined white level; "
                         "save it as 8-bit or 16-bit RGB or grayscale")
    rgb = im.convert("RGB")
    if size is not None:
        rgb = rgb.resize((size, size), Image.BILINEAR)
    return np.asarray(rgb, np.float32) / 255.0


def _opaque(im, path):
    """``im`` without its alpha channel; UsageError when a pixel is not fully opaque."""
    mode = im.mode
    rgba = im.convert("RGBA")
    if rgba.getchannel("A").getextrema()[0] < 255:
        raise UsageError(f"{path} is {mode} with transparent pixels; expected an RGB image "
                         "(flatten it onto a background first)")
    return rgba.convert("RGB")
