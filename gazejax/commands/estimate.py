"""``gazejax estimate --checkpoint DIR --images A.png ... [--json OUT] [--draw OUT.png]``: gaze per image.

An image is a face crop when it is square, else a whole photo whose every
face is found, normalized and estimated (:mod:`gazejax.commands.estimate_photo`);
``--input`` says which when that rule does not fit (a square photo).
"""

import json

from gazejax.cli import UsageError
from gazejax.commands.image_files import read_rgb
from gazejax.commands.outputs import check_file_destination, check_finite, check_image_destination, write_text
from gazejax.commands.photo_input import add_photo_arguments, check_photo_arguments

HELP = "estimate gaze with a converted or trained estimator"


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True,
                        help="directory written by `gazejax convert` or `gazejax export`")
    parser.add_argument("--images", nargs="+", required=True,
                        help="face crops (PNG/JPEG; 8- or 16-bit, RGB or grayscale; opaque alpha is "
                        "dropped, transparency refused)")
    parser.add_argument("--json", help="also write the results to this file (missing folders are created)")
    parser.add_argument("--input", choices=("auto", "crop", "photo"), default="auto",
                        help="what the images are: face crops or whole photos (auto: a square image is a crop)")
    parser.add_argument("--draw", help="photos: write them with each face's gaze drawn as an arrow (.png)")
    add_photo_arguments(parser)


def _estimator_info(directory):
    """The estimator's ``network.json``, checked before anything is restored."""
    from gazejax.convert import ConversionError, read_info  # noqa: PLC0415
    from gazejax.pretrained.gaze_estimator import check_estimator  # noqa: PLC0415

    try:
        info = read_info(directory)
        check_estimator(info, directory)
    except (ConversionError, ValueError) as e:
        raise UsageError(str(e)) from None
    return info


def _is_photo(path, mode):
    """Whether ``path`` is a whole photo under ``--input mode`` (auto: not square), by its header alone."""
    if mode != "auto":
        return mode == "photo"
    import warnings  # noqa: PLC0415

    from PIL import Image  # noqa: PLC0415

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return False  # read_rgb says what is wrong with it
    return width != height


def _read_images(paths, info):
    """``[(path, (1, H, W, 3))]``: resized to the network's input, or whole for a judge that crops."""
    size = None if info.get("crop") else info["input_size"]
    images = []
    for path in paths:
        image = read_rgb(path, size)
        if size is None and image.shape[0] != image.shape[1]:
            raise UsageError(f"{path}: this estimator crops square faces, got {image.shape[1]}x{image.shape[0]}")
        images.append((path, image[None]))
    return images


def run(args):
    if args.json:
        check_file_destination(args.json, "--json")
    if args.draw:
        check_image_destination(args.draw, "--draw")
    check_photo_arguments(args)
    info = _estimator_info(args.checkpoint)
    photos = [p for p in args.images if _is_photo(p, args.input)]
    if args.draw and not photos:
        raise UsageError("--draw draws on whole photos, and every --images file is a face crop")
    if args.landmarks and len(photos) != 1:
        raise UsageError(f"--landmarks holds the faces of one photo; {len(photos)} photos were given")
    images = _read_images([p for p in args.images if p not in photos], info)
    if photos:
        from gazejax.commands.estimate_photo import estimate_photo, prepare_photo, write_drawing  # noqa: PLC0415

        prepared = [(path, *prepare_photo(path, args, info)) for path in photos]

    import jax  # noqa: PLC0415

    from gazejax.pretrained.gaze_estimator import load_gaze_estimator  # noqa: PLC0415

    try:
        estimate, _ = load_gaze_estimator(args.checkpoint)
    except ValueError as e:  # includes ConversionError
        raise UsageError(str(e)) from None
    results = []
    for path, image in images:
        angles = jax.device_get(estimate(image))
        check_finite(f"the estimate for {path}", **angles)
        row = {"image": str(path), "pitch": float(angles["gaze"][0, 0]), "yaw": float(angles["gaze"][0, 1])}
        if "head" in angles:
            row.update(head_pitch=float(angles["head"][0, 0]), head_yaw=float(angles["head"][0, 1]))
        results.append(row)
    drawn = []
    for path, photo, faces in prepared if photos else ():
        rows, drawing = estimate_photo(path, photo, faces, args, estimate)
        results.extend(rows)
        drawn.append(drawing)
    for r in results:
        head = f"\thead_pitch={r['head_pitch']:+.4f}\thead_yaw={r['head_yaw']:+.4f}" if "head_pitch" in r else ""
        face = f"\tface={r['face']}" if "face" in r else ""
        print(f"{r['image']}{face}\tpitch={r['pitch']:+.4f}\tyaw={r['yaw']:+.4f}{head}\t(rad)")
    if args.draw:
        write_drawing(args.draw, drawn)
    if args.json:
        write_text(args.json, json.dumps(results, indent=2) + "\n")
    return 0
