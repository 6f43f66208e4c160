"""TensorBoard event files without TensorFlow: scalar and PNG image summaries.

An event file is a sequence of TFRecords (little-endian uint64 length, masked
CRC-32C of the length, payload, masked CRC-32C of the payload) whose payloads
are ``Event`` protocol buffers. Only the few protobuf fields we write are
encoded, by hand (field numbers from tensorflow/core/util/event.proto and
summary.proto):

    Event:   wall_time=1 (double), step=2 (int64), file_version=3 (string), summary=5
    Summary: value=1 (repeated Value)
    Value:   tag=1 (string), simple_value=2 (float), image=4 (Image)
    Image:   height=1, width=2, colorspace=3 (int32), encoded_image_string=4 (bytes)
"""

import io
import pathlib
import socket
import struct
import time

import numpy as np
from PIL import Image

_CRC32C_POLY = 0x82F63B78  # Castagnoli, reflected
_CRC_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ _CRC32C_POLY if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    """CRC-32C (Castagnoli) of ``data`` (bytes)."""
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(value):
    out = bytearray()
    value &= (1 << 64) - 1  # negative int64 are encoded as 10-byte two's complement
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(field, wire_type):
    return _varint((field << 3) | wire_type)


def _bytes_field(field, payload):
    return _key(field, 2) + _varint(len(payload)) + payload


def _event(step, summary=None, file_version=None):
    out = _key(1, 1) + struct.pack("<d", time.time()) + _key(2, 0) + _varint(step)
    if file_version is not None:
        out += _bytes_field(3, file_version.encode())
    if summary is not None:
        out += _bytes_field(5, summary)
    return out


def _scalar_value(tag, value):
    return _bytes_field(1, tag.encode()) + _key(2, 5) + struct.pack("<f", float(value))


def _image_value(tag, image):
    height, width, channels = image.shape
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    encoded = (
        _key(1, 0) + _varint(height) + _key(2, 0) + _varint(width)
        + _key(3, 0) + _varint(channels) + _bytes_field(4, buffer.getvalue())
    )
    return _bytes_field(1, tag.encode()) + _bytes_field(4, encoded)


class EventWriter:
    """Appends summaries to ``logdir/events.out.tfevents.<time>.<host>``."""

    def __init__(self, logdir):
        logdir = pathlib.Path(logdir)
        logdir.mkdir(parents=True, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}"
        self.path = logdir / name
        self._file = open(self.path, "ab")
        self._write(_event(0, file_version="brain.Event:2"))

    def _write(self, payload):
        header = struct.pack("<Q", len(payload))
        self._file.write(header + struct.pack("<I", _masked_crc(header)))
        self._file.write(payload + struct.pack("<I", _masked_crc(payload)))

    def scalars(self, step, values):
        """Writes ``{tag: float}`` at ``step``."""
        summary = b"".join(_bytes_field(1, _scalar_value(t, v)) for t, v in values.items())
        self._write(_event(step, summary))

    def image(self, step, tag, image):
        """Writes one (H, W, 3) uint8 image at ``step``."""
        self._write(_event(step, _bytes_field(1, _image_value(tag, image))))

    def flush(self):
        self._file.flush()

    def close(self):
        self._file.close()


def read_events(path):
    """Parses an event file written by :class:`EventWriter`, checking every CRC.

    Returns:
      list of ``(step, tag, value)``: value is a float for scalars and a
      (H, W, 3) uint8 array for images; the file-version record is skipped.
    """
    data = pathlib.Path(path).read_bytes()
    out, pos = [], 0
    while pos < len(data):
        header = data[pos : pos + 8]
        (length,) = struct.unpack("<Q", header)
        (crc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
        if crc != _masked_crc(header):
            raise ValueError(f"{path}: bad length CRC at byte {pos}")
        payload = data[pos + 12 : pos + 12 + length]
        (crc,) = struct.unpack("<I", data[pos + 12 + length : pos + 16 + length])
        if crc != _masked_crc(payload):
            raise ValueError(f"{path}: bad payload CRC at byte {pos}")
        pos += 16 + length
        event = _fields(payload)
        step = event.get(2, [0])[0]
        for summary in event.get(5, []):
            for value in _fields(summary).get(1, []):
                value = _fields(value)
                tag = value[1][0].decode()
                if 2 in value:
                    out.append((step, tag, struct.unpack("<f", value[2][0])[0]))
                else:
                    png = _fields(value[4][0])[4][0]
                    out.append((step, tag, np.asarray(Image.open(io.BytesIO(png)))))
    return out


def _read_varint(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def _fields(message):
    """Decodes one protobuf message into ``{field: [raw values]}``."""
    fields, pos = {}, 0
    while pos < len(message):
        key, pos = _read_varint(message, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, pos = _read_varint(message, pos)
        elif wire_type == 1:
            value, pos = message[pos : pos + 8], pos + 8
        elif wire_type == 5:
            value, pos = message[pos : pos + 4], pos + 4
        elif wire_type == 2:
            length, pos = _read_varint(message, pos)
            value, pos = message[pos : pos + length], pos + length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
        fields.setdefault(field, []).append(value)
    return fields
