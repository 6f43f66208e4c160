"""``gazejax bench synthgaze``: SynthGaze records/s at 128^2 and 512^2.

One "image" is a full record: image, masks, depth and both 64^2 eye patches,
rendered and copied to numpy by the same function the dataset builder uses.
"""

import numpy as np

from gazejax.bench.timing import record, time_jax
from gazejax.data.synthgaze import sample

# (resolution, batch) pairs; --quick uses tiny ones.
SETTINGS = ((128, 8), (512, 2))
QUICK_SETTINGS = ((32, 2), (64, 2))
OUTPUTS = "image+masks+depth+2 eye patches"


def run(args):
    records = []
    runs = 2 if args.quick else args.runs
    for resolution, batch in QUICK_SETTINGS if args.quick else SETTINGS:
        ids = np.arange(batch, dtype=np.int32)
        timing = time_jax(sample.records, 0, ids, ids, ids, resolution, runs=runs, warmup=1)
        records.append(
            record(
                "synthgaze",
                config=dict(resolution=resolution, batch=batch, outputs=OUTPUTS),
                shapes=dict(image=[batch, resolution, resolution, 3]),
                images_per_s=batch / (timing["median_ms"] / 1e3),
                **timing,
            )
        )
    return records
