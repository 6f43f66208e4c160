"""Video in and out for whole-frame redirection (PyAV): frames as float32 RGB, audio copied untouched.

``VideoReader(path)`` yields ``(H, W, 3)`` float32 frames in [0, 1] and knows
the stream's size, frame rate and frame count; ``VideoWriter`` encodes H.264
(libx264, yuv420p) at the same rate and copies the input's first audio
stream packet by packet (no re-encoding). Sizes must be even for yuv420p:
an odd size is encoded one pixel smaller.
"""

import fractions

import numpy as np

CODEC = "libx264"
PIXEL_FORMAT = "yuv420p"


class VideoError(ValueError):
    """A file that is not a readable video (one line)."""


class VideoReader:
    """The first video stream of ``path``; ValueError (one line) when there is none."""

    def __init__(self, path):
        import av  # noqa: PLC0415

        self.path = path
        try:
            self.container = av.open(str(path))
        except (av.FFmpegError, OSError) as e:
            raise VideoError(f"cannot read video {path}: {e}") from None
        if not self.container.streams.video:
            self.container.close()
            raise VideoError(f"{path} has no video stream")
        self.stream = self.container.streams.video[0]
        self.audio = self.container.streams.audio[0] if self.container.streams.audio else None

    @property
    def size(self):
        """``(width, height)`` of the frames."""
        return self.stream.codec_context.width, self.stream.codec_context.height

    @property
    def rate(self):
        """Frames per second, as a Fraction."""
        return self.stream.average_rate or self.stream.guessed_rate or fractions.Fraction(25)

    @property
    def frame_count(self):
        """Frames the container announces (0 when it does not say)."""
        return self.stream.frames

    def frames(self):
        """Decoded frames, float32 ``(H, W, 3)`` in [0, 1]; a damaged stream is a VideoError."""
        import av  # noqa: PLC0415

        try:
            for frame in self.container.decode(self.stream):
                yield frame.to_ndarray(format="rgb24").astype(np.float32) / 255.0
        except av.FFmpegError as e:
            raise VideoError(f"{self.path} is damaged: {e}") from None

    def audio_packets(self):
        """The audio stream's packets from the start (demuxed again, so decoding is not disturbed)."""
        import av  # noqa: PLC0415

        with av.open(str(self.path)) as container:
            for packet in container.demux(container.streams.audio[0]):
                if packet.dts is not None:
                    yield packet

    def close(self):
        self.container.close()


class VideoWriter:
    """H.264 at ``rate`` fps with ``reader``'s audio copied in when it has any."""

    def __init__(self, path, size, rate, reader=None):
        import av  # noqa: PLC0415

        self.container = av.open(str(path), "w")
        self.stream = self.container.add_stream(CODEC, rate=rate)
        self.stream.width, self.stream.height = (s - s % 2 for s in size)
        self.stream.pix_fmt = PIXEL_FORMAT
        self.reader = reader
        self.audio = None
        if reader is not None and reader.audio is not None:
            self.audio = self.container.add_stream_from_template(reader.audio)

    def write(self, frame):
        """Encodes one float32 ``(H, W, 3)`` frame in [0, 1]."""
        import av  # noqa: PLC0415

        rgb = (np.clip(frame[: self.stream.height, : self.stream.width], 0, 1) * 255 + 0.5).astype(np.uint8)
        for packet in self.stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            self.container.mux(packet)

    def close(self):
        """Flushes the encoder, copies the audio and closes the file."""
        for packet in self.stream.encode():
            self.container.mux(packet)
        if self.audio is not None:
            for packet in self.reader.audio_packets():
                packet.stream = self.audio
                self.container.mux(packet)
        self.container.close()
