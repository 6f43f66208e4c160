"""``gazejax estimate --checkpoint DIR --images A.png ... [--json OUT]``: gaze per image."""

import json

from gazejax.cli import UsageError
from gazejax.commands.image_files import read_rgb
from gazejax.commands.outputs import check_file_destination, check_finite, write_text

HELP = "estimate gaze with a converted or trained estimator"


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True,
                        help="directory written by `gazejax convert` or `gazejax export`")
    parser.add_argument("--images", nargs="+", required=True,
                        help="face crops (PNG/JPEG; 8- or 16-bit, RGB or grayscale; opaque alpha is "
                        "dropped, transparency refused)")
    parser.add_argument("--json", help="also write the results to this file (missing folders are created)")


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
    info = _estimator_info(args.checkpoint)
    images = _read_images(args.images, info)

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
    for r in results:
        head = f"\thead_pitch={r['head_pitch']:+.4f}\thead_yaw={r['head_yaw']:+.4f}" if "head_pitch" in r else ""
        print(f"{r['image']}\tpitch={r['pitch']:+.4f}\tyaw={r['yaw']:+.4f}{head}\t(rad)")
    if args.json:
        write_text(args.json, json.dumps(results, indent=2) + "\n")
    return 0
