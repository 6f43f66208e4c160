"""Reads TensorBoard event files back with TensorBoard's own reader (tests only)."""

import io

import numpy as np
from PIL import Image
from tensorboard.backend.event_processing import event_accumulator


def read_events(logdir):
    """Every ``(step, tag, value)`` in ``logdir``'s event files.

    ``value`` is a float for scalars and an (H, W, C) uint8 array for images.
    """
    keep_all = {event_accumulator.SCALARS: 0, event_accumulator.IMAGES: 0}  # 0 = no sampling
    events = event_accumulator.EventAccumulator(str(logdir), size_guidance=keep_all)
    events.Reload()
    tags = events.Tags()
    out = [(e.step, tag, e.value) for tag in tags["scalars"] for e in events.Scalars(tag)]
    out += [(e.step, tag, np.asarray(Image.open(io.BytesIO(e.encoded_image_string))))
            for tag in tags["images"] for e in events.Images(tag)]
    return out
