"""``gazejax estimate --checkpoint DIR --images A.png ... [--json OUT]``: gaze per image."""

import json
import pathlib

from gazejax.cli import UsageError

HELP = "estimate gaze with a converted or trained estimator"


def add_arguments(parser):
    parser.add_argument("--checkpoint", required=True, help="directory written by `gazejax convert`")
    parser.add_argument("--images", nargs="+", required=True, help="face crops (PNG/JPEG, RGB)")
    parser.add_argument("--json", help="also write the results to this file")


def _read_images(paths, size):
    import numpy as np  # noqa: PLC0415
    from PIL import Image  # noqa: PLC0415

    out = []
    for path in paths:
        try:
            with Image.open(path) as im:
                # PIL's antialiased bilinear, as torchvision's Resize on files.
                im = im.convert("RGB").resize((size, size), Image.BILINEAR)
        except OSError as e:
            raise UsageError(f"cannot read image {path}: {e}") from e
        out.append(np.asarray(im, dtype=np.float32) / 255.0)
    return np.stack(out)


def run(args):
    import jax  # noqa: PLC0415

    from gazejax.models.gaze_estimator import load_gaze_estimator  # noqa: PLC0415

    missing = [p for p in args.images if not pathlib.Path(p).is_file()]
    if missing:
        raise UsageError(f"no such image(s): {', '.join(missing)}")
    try:
        estimate, info = load_gaze_estimator(args.checkpoint)
    except ValueError as e:  # includes ConversionError
        raise UsageError(str(e)) from e
    pitchyaw = estimate(_read_images(args.images, info["input_size"]))
    results = [
        {"image": str(path), "pitch": float(p), "yaw": float(y)}
        for path, (p, y) in zip(args.images, jax.device_get(pitchyaw))
    ]
    for r in results:
        print(f"{r['image']}\tpitch={r['pitch']:+.4f}\tyaw={r['yaw']:+.4f}\t(rad)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    return 0
