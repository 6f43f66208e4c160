"""TF-free TensorBoard event files: framing, CRCs and protobuf encoding."""

import struct

import numpy as np
import pytest

from gazejax.train.tensorboard import EventWriter, crc32c, read_events


def test_crc32c_known_answers():
    # Check values of CRC-32C (RFC 3720, appendix B.4).
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(bytes(32)) == 0x8A9136AA


def test_scalars_and_images_round_trip(tmp_path):
    writer = EventWriter(tmp_path)
    writer.scalars(3, {"train/loss": 0.25, "train/psnr": 31.5})
    image = np.random.default_rng(0).integers(0, 256, (6, 10, 3), dtype=np.uint8)
    writer.image(7, "samples", image)
    writer.close()
    assert writer.path.name.startswith("events.out.tfevents.")
    events = read_events(writer.path)
    assert events[:2] == [(3, "train/loss", 0.25), (3, "train/psnr", 31.5)]
    step, tag, decoded = events[2]
    assert (step, tag) == (7, "samples")
    np.testing.assert_array_equal(decoded, image)


def test_first_record_is_the_file_version(tmp_path):
    writer = EventWriter(tmp_path)
    writer.close()
    data = writer.path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    assert b"brain.Event:2" in data[12 : 12 + length]


def test_corruption_is_detected(tmp_path):
    writer = EventWriter(tmp_path)
    writer.scalars(1, {"loss": 1.0})
    writer.close()
    data = bytearray(writer.path.read_bytes())
    data[-6] ^= 0xFF
    writer.path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="bad payload CRC"):
        read_events(writer.path)
