"""``gazejax estimate --checkpoint DIR --images A.png ... [--json OUT]``: gaze per image."""

import json
import pathlib

from gazejax.cli import UsageError

HELP = "estimate gaze with a converted or trained estimator"


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True, help="directory written by `gazejax convert`")
    parser.add_argument("--images", nargs="+", required=True, help="face crops (PNG/JPEG, RGB)")
    parser.add_argument("--json", help="also write the results to this file")


def _read_image(path, size):
    """(1, H, W, 3) float32 in [0, 1]; resized to ``size`` (PIL's antialiased
    bilinear, as torchvision's Resize on files) unless ``size`` is None."""
    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    try:
        with Image.open(path) as im:
            im = im.convert("RGB")
            if size is not None:
                im = im.resize((size, size), Image.BILINEAR)
    except OSError as e:
        raise UsageError(f"cannot read image {path}: {e}") from e
    return (np.asarray(im, dtype=np.float32) / 255.0)[None]


def run(args):
    import jax  # noqa: PLC0415

    from gazejax.pretrained.gaze_estimator import load_gaze_estimator  # noqa: PLC0415

    missing = [p for p in args.images if not pathlib.Path(p).is_file()]
    if missing:
        raise UsageError(f"no such image(s): {', '.join(missing)}")
    try:
        estimate, info = load_gaze_estimator(args.checkpoint)
    except ValueError as e:  # includes ConversionError
        raise UsageError(str(e)) from e
    # A judge that crops reads the file whole, then crops and resizes as it was trained.
    size = None if info.get("crop") else info["input_size"]
    results = []
    for path in args.images:
        image = _read_image(path, size)
        if size is None and image.shape[1] != image.shape[2]:
            raise UsageError(f"{path}: this estimator crops square faces, got {image.shape[2]}x{image.shape[1]}")
        angles = jax.device_get(estimate(image))
        row = {"image": str(path), "pitch": float(angles["gaze"][0, 0]), "yaw": float(angles["gaze"][0, 1])}
        if "head" in angles:
            row.update(head_pitch=float(angles["head"][0, 0]), head_yaw=float(angles["head"][0, 1]))
        results.append(row)
    for r in results:
        head = f"\thead_pitch={r['head_pitch']:+.4f}\thead_yaw={r['head_yaw']:+.4f}" if "head_pitch" in r else ""
        print(f"{r['image']}\tpitch={r['pitch']:+.4f}\tyaw={r['yaw']:+.4f}{head}\t(rad)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0
