"""``gazejax redirect --video``: a round trip keeps frame count, size, rate and audio; faceless frames
are an error, or pass through unchanged with ``--skip-missing``.

The frames are grace_hopper.jpg (with two black frames in the middle), the
landmarks per frame are given with ``--landmarks`` (NaN: no face in that
frame), and the LiveGaze run is tiny and untrained.
"""

import av
import numpy as np
import pytest
from matplotlib import cbook

from face_poses import head_rotation, project
from gazejax import face
from gazejax.cli import main
from gazejax.commands.image_files import read_rgb
from gazejax.face.video import VideoReader
from test_photo_redirect import paths as run_paths  # noqa: F401  (the tiny run fixture)

FRAMES, BLACK, RATE, SAMPLE_RATE = 6, (2, 3), 25, 16000


def _write_video(path, frames, audio=True):
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=RATE)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        sound = out.add_stream("aac", rate=SAMPLE_RATE) if audio else None
        for frame in frames:
            rgb = (frame * 255 + 0.5).astype(np.uint8)
            for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if sound is not None:
            tone = np.sin(np.arange(SAMPLE_RATE * FRAMES // RATE) / 10).astype(np.float32)[None]
            samples = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            samples.sample_rate = SAMPLE_RATE
            for packet in [*sound.encode(samples), *sound.encode()]:
                out.mux(packet)


@pytest.fixture(scope="module")
def video(run_paths, tmp_path_factory):  # noqa: F811
    root = tmp_path_factory.mktemp("video")
    photo = read_rgb(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))[:, :510]  # 510 x 600
    frames = [np.zeros_like(photo) if t in BLACK else photo for t in range(FRAMES)]
    _write_video(root / "in.mp4", frames)
    k = face.camera_matrix(photo.shape[1], photo.shape[0])
    points = project(head_rotation(0.05, 0.1), (-10, -40, 350), k)
    landmarks = np.stack([[np.full_like(points, np.nan) if t in BLACK else points] for t in range(FRAMES)])
    np.save(root / "landmarks.npy", landmarks)
    with av.open(str(root / "audio_only.m4a"), "w") as out:
        sound = out.add_stream("aac", rate=SAMPLE_RATE)
        samples = av.AudioFrame.from_ndarray(np.zeros((1, 4096), np.float32), format="fltp", layout="mono")
        samples.sample_rate = SAMPLE_RATE
        for packet in [*sound.encode(samples), *sound.encode()]:
            out.mux(packet)
    (root / "garbage.mp4").write_bytes(b"not a video at all" * 100)
    return {"root": root, "run": run_paths["run"], "landmarks": str(root / "landmarks.npy")}


def _error_lines(err):
    """stderr without the progress bar's lines (``redirect: 33%|...``)."""
    return [line for line in err.strip().splitlines() if line and not line.startswith("redirect:")]


def _decoded(path):
    reader = VideoReader(path)
    try:
        return list(reader.frames()), reader
    finally:
        reader.close()


def test_round_trip_keeps_frames_size_rate_and_audio(video, capsys):
    out = video["root"] / "out.mp4"
    assert main(["redirect", "--checkpoint", video["run"], "--video", str(video["root"] / "in.mp4"),
                 "--landmarks", video["landmarks"], "--look-at-camera", "--batch", "4", "--skip-missing",
                 "--out", str(out)]) == 0
    assert "6 frames, 4 faces redirected, 2 frames without a face" in capsys.readouterr().out
    before, reader_in = _decoded(video["root"] / "in.mp4")
    after, reader_out = _decoded(out)
    assert len(after) == len(before) == FRAMES
    assert reader_out.size == reader_in.size == (510, 600)
    assert reader_out.rate == RATE
    with av.open(str(out)) as container:
        assert len(container.streams.audio) == 1
        assert sum(p.size for p in container.demux(container.streams.audio[0])) > 0
    diffs = [np.abs(a - b).mean() for a, b in zip(after, before)]
    for t in BLACK:  # passed through: only the codec's round trip
        assert diffs[t] < 0.01
    for t in set(range(FRAMES)) - set(BLACK):  # the face was redirected (by a random model)
        assert diffs[t] > 3 * max(diffs[b] for b in BLACK)
    assert not list(video["root"].glob(".*partial*"))


@pytest.mark.parametrize("source,flags,message", [
    ("audio_only.m4a", [], "has no video stream"),
    ("garbage.mp4", [], "cannot read video"),
    ("in.mp4", ["--smoothing", "0"], "--smoothing must be in (0, 1]"),
    ("in.mp4", ["--batch", "0"], "--batch must be at least 1"),
    ("missing.mp4", [], "no such video"),
])
def test_bad_video_input_is_one_line_and_exit_2(video, capsys, source, flags, message):
    out = video["root"] / "refused.mp4"
    assert main(["redirect", "--checkpoint", video["run"], "--video", str(video["root"] / source),
                 "--landmarks", video["landmarks"], "--gaze=0,0", "--out", str(out), *flags]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not out.exists()


def test_a_frame_without_a_face_is_one_line_naming_it_without_skip_missing(video, capsys):
    out = video["root"] / "stopped.mp4"
    assert main(["redirect", "--checkpoint", video["run"], "--video", str(video["root"] / "in.mp4"),
                 "--landmarks", video["landmarks"], "--look-at-camera", "--out", str(out)]) == 2
    err = _error_lines(capsys.readouterr().err)
    assert len(err) == 1 and f"frame {BLACK[0]} of" in err[0] and "no face found" in err[0], err
    assert "--skip-missing" in err[0]
    assert not out.exists() and not list(video["root"].glob(".*partial*"))


def test_a_frame_with_only_a_face_too_small_names_why(video, capsys):
    k = face.camera_matrix(510, 600)
    tiny = project(head_rotation(0.0, 0.0), (0, 0, 20000), k)  # eyes about 2 px apart
    landmarks = video["root"] / "tiny.npy"
    np.save(landmarks, np.stack([[tiny]] * FRAMES))
    out = video["root"] / "tiny.mp4"
    assert main(["redirect", "--checkpoint", video["run"], "--video", str(video["root"] / "in.mp4"),
                 "--landmarks", str(landmarks), "--look-at-camera", "--out", str(out)]) == 2
    err = _error_lines(capsys.readouterr().err)
    assert len(err) == 1 and "frame 0 of" in err[0] and "face too small" in err[0], err
    assert not out.exists()


def test_skip_missing_needs_a_video(video, capsys):
    assert main(["redirect", "--checkpoint", video["run"], "--gaze=0,0", "--skip-missing",
                 "--out", str(video["root"] / "crop.png")]) == 2
    assert "--skip-missing applies to --video only" in capsys.readouterr().err


@pytest.mark.parametrize("flags", [["--skip-missing"], []])
def test_a_video_without_any_face_writes_nothing(video, capsys, flags):
    empty = video["root"] / "empty.npy"
    np.save(empty, np.full((FRAMES, 1, 468, 2), np.nan))
    out = video["root"] / "none.mp4"
    assert main(["redirect", "--checkpoint", video["run"], "--video", str(video["root"] / "in.mp4"),
                 "--landmarks", str(empty), "--gaze=0,0", "--out", str(out), *flags]) != 0
    expected = "no face found in any frame" if flags else "frame 0 of"
    assert expected in capsys.readouterr().err
    assert not out.exists() and not list(video["root"].glob(".*partial*"))
