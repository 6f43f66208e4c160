"""gazejax.face with MediaPipe's face mesh (LiteRT) on a real photo and on SynthGaze renders of known head pose.

The model files come from the mediapipe 0.10.14 wheel on PyPI, fetched once into
the cache (docs/photos.md); only when that fetch fails are the tests that need
them skipped, with its one-line reason.
"""

import pathlib
import sys

import cv2
import numpy as np
import pytest
from matplotlib import cbook

from gazejax import face
from gazejax.commands.image_files import read_rgb
from gazejax.data.synthgaze import controlled_records
from gazejax.face import detection, mediapipe_models
from gazejax.geometry import EG3D_FOCAL

PHOTO = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
# What MediaPipe 0.10.14's legacy FaceMesh (static_image_mode, refine_landmarks=True) gives for PHOTO.
MEDIAPIPE_LANDMARKS = pathlib.Path(__file__).parent / "data" / "grace_hopper_mediapipe_landmarks.npy"


@pytest.fixture(scope="module")
def models_fetched():
    try:
        mediapipe_models.model_paths()
    except mediapipe_models.ModelFilesUnavailable as e:
        pytest.skip(str(e))


@pytest.fixture
def no_detector_loaded():
    """Makes detect_faces look its models up again, here and in the tests after this one."""
    detection._face_mesh_models.cache_clear()
    yield
    detection._face_mesh_models.cache_clear()


def test_a_real_photo_is_found_normalized_and_pasted_back_exactly(models_fetched):
    photo = read_rgb(PHOTO)
    found = face.detect_faces(photo)
    assert len(found) == 1 and found[0].shape == (478, 2)
    right, left = face.eye_centres(found[0])
    assert left[0] > right[0]  # the subject's left eye is on the image right
    k = face.camera_matrix(photo.shape[1], photo.shape[0])
    pose = face.fit_head_pose(found[0], k)
    assert pose.reprojection_error < 8.0
    spec = face.NormalizationSpec.for_size(512)
    crop = face.normalize(photo, found[0], pose, k, spec)
    right, left = face.eye_centres(crop.landmarks)
    assert abs(left[1] - right[1]) < 2.0  # the crop has no roll
    assert abs((left[0] + right[0]) / 2 - spec.size / 2) < 2.0  # and is centred between the eyes
    out, alpha = face.paste(photo, crop.image, crop, crop.face_mask)
    inside = alpha > 0
    assert 10 * np.log10(1 / np.mean((out[inside] - photo[inside]) ** 2)) >= 40.0
    assert (out[~inside] == photo[~inside]).all()


def test_landmarks_are_mediapipes_own(models_fetched):
    """Same models, same steps: within a fraction of a pixel of MediaPipe's FaceMesh, iris points included."""
    found = face.detect_faces(read_rgb(PHOTO))
    distance = np.linalg.norm(found[0] - np.load(MEDIAPIPE_LANDMARKS), axis=1)
    assert distance.mean() <= 1.5  # 0.03 px measured
    assert distance[468:].max() <= 1.5  # the irises, which only the refined model gives


def test_head_pose_of_synthgaze_renders(models_fetched):
    """SynthGaze faces are found; the fitted head pose follows the true one (yaw closely, pitch with a bias)."""
    resolution, n = 256, 4
    cameras = np.array([[-0.4, 0.0], [-0.15, 0.15], [0.15, -0.15], [0.4, 0.1]], np.float32)
    records = controlled_records(0, np.arange(n), np.zeros((n, 2), np.float32), cameras, resolution)
    k = np.array([[EG3D_FOCAL * resolution, 0, resolution / 2], [0, EG3D_FOCAL * resolution, resolution / 2],
                  [0, 0, 1]])
    errors = []
    for image, truth in zip(records["image"], records["head_pose"]):
        found = face.detect_faces(image.astype(np.float32) / 255)
        assert len(found) == 1
        errors.append(np.degrees(face.fit_head_pose(found[0], k).pitchyaw - truth))
    errors = np.abs(errors)
    assert errors[:, 1].max() < 6.0  # yaw
    assert errors[:, 0].max() < 15.0  # pitch: the canonical face is tilted against SynthGaze's head frame


def test_several_faces_largest_first_and_at_most_max_faces(models_fetched):
    photo = read_rgb(PHOTO)
    smaller = np.full_like(photo, 0.5)
    smaller[:480, :410] = cv2.resize(photo, (410, 480), interpolation=cv2.INTER_AREA)
    pair = np.concatenate([smaller, photo], axis=1)  # the full-size face on the right
    found = face.detect_faces(pair)
    assert len(found) == 2
    assert found[0][:, 0].min() > photo.shape[1] and found[1][:, 0].max() < photo.shape[1]
    assert np.ptp(found[0][:, 0]) > np.ptp(found[1][:, 0])
    assert len(face.detect_faces(pair, max_faces=1)) == 1


def test_no_face_in_a_blank_image(models_fetched):
    assert face.detect_faces(np.full((240, 320, 3), 0.5, np.float32)) == []


def _without_installed_mediapipe(monkeypatch, cache, pip_command):
    monkeypatch.setenv("GAZEJAX_CACHE", str(cache))
    monkeypatch.setattr(mediapipe_models, "_installed_files", lambda: None)
    monkeypatch.setattr(mediapipe_models, "pip_download_command", pip_command)


def test_offline_without_cached_models_is_one_line(tmp_path, monkeypatch, no_detector_loaded):
    _without_installed_mediapipe(monkeypatch, tmp_path, lambda dest: [
        sys.executable, "-c", "import sys; sys.exit('ERROR: No matching distribution found (offline)')"])
    with pytest.raises(face.DetectorUnavailable) as raised:
        face.detect_faces(np.zeros((64, 64, 3), np.float32))
    message = str(raised.value)
    assert "\n" not in message and "offline" in message and str(mediapipe_models.cache_dir()) in message
    assert not any(tmp_path.rglob("*.tflite"))


def test_a_model_file_with_the_wrong_hash_is_not_cached(tmp_path, monkeypatch):
    members = [f.path for f in mediapipe_models.MODEL_FILES.values()]
    make_wheel = ("import sys, zipfile\n"
                  "with zipfile.ZipFile(sys.argv[1] + '/mediapipe-0.10.14-cp311-none-any.whl', 'w') as w:\n"
                  f"    [w.writestr(p, b'not the model') for p in {members}]\n")
    _without_installed_mediapipe(monkeypatch, tmp_path, lambda dest: [sys.executable, "-c", make_wheel, str(dest)])
    with pytest.raises(mediapipe_models.ModelFilesUnavailable, match="expected sha256"):
        mediapipe_models.model_paths()
    assert not list(mediapipe_models.cache_dir().iterdir())
