"""Input-pipeline throughput: records/s of a converted dataset against what a training step consumes.

A step of batch B taking ``step_ms`` consumes ``1000 B / step_ms`` records/s;
the pipeline keeps it fed when it delivers at least that many.
:func:`measure` times ``Pipeline.iterate`` (grain read threads, zlib decode,
uint8 -> float32, stacking, pairing); :func:`synthetic_dataset` converts
random records shaped like a LiveGaze 512^2 ETH-XGaze pair batch, so the
measurement needs no dataset on disk.

Usage::

    python -m gazejax.data.throughput [--resolution 512] [--batch 4] [--threads 2] [--step-ms 250]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time

import numpy as np
from ml_collections import ConfigDict

from gazejax.data import conversion, pipeline


def _features(resolution):
    image = conversion.Feature((resolution, resolution, 3), np.uint8)
    mask = conversion.Feature((resolution, resolution), np.uint8)
    return dict(image=image, face_mask=mask, left_eye_mask=mask, right_eye_mask=mask,
                gaze_head=conversion.Feature((2,), np.float32), camera=conversion.Feature((25,), np.float32),
                identity=conversion.Feature((), np.int32), frame=conversion.Feature((), np.int32),
                view=conversion.Feature((), np.int32))


def read_synthetic_unit(unit):
    """Converter reader: identity ``unit.args[0]``'s records, smooth random images (realistic zlib ratio)."""
    identity, frames, views, resolution = unit.args
    rng = np.random.default_rng(identity)
    for frame in range(frames):
        for view in range(views):
            coarse = rng.integers(0, 256, (resolution // 8, resolution // 8, 3), np.uint8)
            image = np.repeat(np.repeat(coarse, 8, 0), 8, 1)
            mask = (image[..., 0] > 128).astype(np.uint8)
            yield f"{identity}_{frame}_{view}", dict(
                image=image, face_mask=mask, left_eye_mask=mask, right_eye_mask=mask,
                gaze_head=rng.uniform(-0.5, 0.5, 2), camera=rng.normal(size=25),
                identity=identity, frame=frame, view=view)


def synthetic_dataset(out_dir, resolution=512, identities=4, frames=4, views=2):
    """Converts random LiveGaze-shaped records into ``out_dir``; returns the ``data.builder`` string."""
    units = [conversion.Unit(f"{i:04d}", "train", f"synthetic/{i}", (i, frames, views, resolution))
             for i in range(identities)]
    config = f"r{resolution}_i{identities}_f{frames}_v{views}"
    converter = conversion.Converter("synthetic_input", config, _features(resolution), units,
                                     read_synthetic_unit, dict(resolution=resolution))
    if not conversion.dataset_dir(out_dir, converter.name, config).exists():
        conversion.convert(converter, out_dir, progress=False)
    return f"tfds:synthetic_input/{config}"


def measure(data_config, split, batch_size, num_batches=20, warmup=3):
    """Times ``num_batches`` batches after ``warmup``; returns records/s and per-batch ms statistics."""
    pipe = pipeline.make_pipeline(data_config, split, global_batch_size=batch_size, seed=0,
                                  process_index=0, process_count=1)
    batches = pipe.iterate()
    for _ in range(warmup):
        next(batches)
    times = []
    for _ in range(num_batches):
        t0 = time.perf_counter()
        next(batches)
        times.append((time.perf_counter() - t0) * 1e3)
    median = statistics.median(times)
    return dict(records_per_s=1e3 * batch_size * num_batches / sum(times), median_ms=median,
                min_ms=min(times), max_ms=max(times), runs=num_batches)


def keeps_up(result, batch_size, step_ms):
    """Adds the step's consumption (records/s) and whether the pipeline delivers that much."""
    consumed = 1e3 * batch_size / step_ms
    return dict(result, step_ms=step_ms, step_records_per_s=consumed,
                headroom=result["records_per_s"] / consumed, keeps_up=result["records_per_s"] >= consumed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=512)
    parser.add_argument("--batch", type=int, default=4, help="global batch (LiveGaze :paper: 4 pairs)")
    parser.add_argument("--threads", type=int, default=2, help="grain read threads (data.num_threads)")
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--step-ms", type=float, default=None, help="a training step's time to compare with")
    parser.add_argument("--data-dir", default=None, help="where the synthetic dataset is kept (default: temp)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or tmp
        builder = synthetic_dataset(data_dir, args.resolution)
        data = ConfigDict(dict(builder=builder, dir=str(data_dir), pairs=True, same_camera=None,
                               num_threads=args.threads))
        result = measure(data, "train", args.batch, args.batches)
    if args.step_ms:
        result = keeps_up(result, args.batch, args.step_ms)
    print(json.dumps(dict(name="input", resolution=args.resolution, batch=args.batch, pairs=True,
                          threads=args.threads, **result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
