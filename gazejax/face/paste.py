"""Back into the photo: the inverse of the normalization warp and a feathered blend.

``paste(photo, crop, face, mask)`` warps a (redirected) crop back with
``W^-1`` and blends it over the photo with an alpha that is the paste mask
eroded by the feather width and then blurred, so the alpha is zero on and
beyond the mask's edge: every pixel outside the mask keeps its exact value.
"""

import numpy as np

# feather width as a fraction of the crop side (12 px at 512), at most half the mask's inscribed radius
FEATHER_FRACTION = 12 / 512
# an eyes-only paste takes the eye openings grown by this fraction of the crop side: lids follow the gaze
EYE_MARGIN_FRACTION = 12 / 512
REGIONS = ("face", "eyes")


def region_mask(face, region):
    """``(S, S)`` float32 mask of what a paste of ``region`` (``"face"`` or ``"eyes"``) replaces in ``face``'s crop."""
    import cv2  # noqa: PLC0415

    if region == "face":
        return face.face_mask
    if region != "eyes":
        raise ValueError(f"the paste region must be one of {', '.join(REGIONS)}, got {region!r}")
    margin = max(1, round(EYE_MARGIN_FRACTION * face.face_mask.shape[0]))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin + 1, 2 * margin + 1))
    return cv2.dilate(np.maximum(face.left_eye_mask, face.right_eye_mask), kernel)


def feathered_alpha(mask, feather):
    """``(S, S)`` float32 alpha in [0, 1]: ``mask`` eroded by ``feather`` px, then blurred by as much.

    The feather is cut to half the mask's inscribed radius, so a small mask (an eye) keeps a solid core.
    """
    import cv2  # noqa: PLC0415

    mask = (np.asarray(mask) > 0.5).astype(np.uint8)
    inscribed_radius = cv2.distanceTransform(mask, cv2.DIST_L2, 3).max()
    feather = min(int(feather), int(inscribed_radius // 2))
    if feather < 1:
        return mask.astype(np.float32)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * feather + 1, 2 * feather + 1))
    inner = cv2.erode(mask, kernel).astype(np.float32)
    # a box blur of side 2*feather+1 spreads each edge by exactly feather px, back to the mask's edge
    return cv2.blur(cv2.blur(inner, (feather + 1, feather + 1)), (feather + 1, feather + 1)) * mask


def paste(photo, crop, face, mask, feather=None):
    """The photo with ``crop`` warped back over the face.

    Args:
      photo: ``(H, W, 3)`` float32 in [0, 1].
      crop: ``(S, S, 3)`` float32, the model's output in the normalized frame of ``face``.
      face: the :class:`~gazejax.face.normalized.NormalizedFace` the crop came from.
      mask: ``(S, S)`` the region of the crop to paste (:func:`region_mask`).
      feather: blend width in crop pixels (default :data:`FEATHER_FRACTION` of the side).

    Returns:
      ``(image (H, W, 3) float32, alpha (H, W) float32)``; ``image`` equals
      ``photo`` exactly wherever ``alpha`` is 0.
    """
    import cv2  # noqa: PLC0415

    photo = np.asarray(photo, np.float32)
    height, width = photo.shape[:2]
    size = crop.shape[0]
    feather = round(FEATHER_FRACTION * size) if feather is None else int(feather)
    crop_alpha = feathered_alpha(mask, feather)
    alpha = np.zeros((height, width), np.float32)
    box = _frame_box(crop_alpha, face.warp, width, height)
    if box is None:
        return photo.copy(), alpha
    # only the mask's box in the frame is warped and blended: a face is small in a 1080p frame
    top, bottom, left, right = box
    to_box = face.warp @ np.array([[1, 0, left], [0, 1, top], [0, 0, 1]], np.float64)
    box_size = (right - left, bottom - top)
    # bilinear for the alpha (it must stay in [0, 1] and 0 outside), bicubic for the image
    a = cv2.warpPerspective(crop_alpha, to_box, box_size, flags=cv2.WARP_INVERSE_MAP | cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    warped = cv2.warpPerspective(np.asarray(crop, np.float32), to_box, box_size,
                                 flags=cv2.WARP_INVERSE_MAP | cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    alpha[top:bottom, left:right] = a
    out = photo.copy()
    region = out[top:bottom, left:right]
    # region + (crop - region) * a, in place and written only where a > 0 (a 1080p face box is ~1M values)
    change = np.clip(warped, 0, 1, out=warped)
    change -= region
    change *= a[..., None]
    np.add(region, change, out=region, where=a[..., None] > 0)
    return out, alpha


def _frame_box(crop_alpha, warp, width, height):
    """``(top, bottom, left, right)`` of the frame pixels that can receive a non-zero ``crop_alpha``, or None.

    The corners of the alpha's bounding box in the crop, grown by the one
    pixel a bilinear sample reaches, are mapped into the frame by ``W^-1``; a
    face crop lies wholly in front of the camera, so the box of the mapped
    corners holds the whole mapped region.
    """
    import cv2  # noqa: PLC0415

    rows, cols = np.nonzero(crop_alpha > 0)
    if not len(rows):
        return None
    corners = np.array([[x, y] for x in (cols.min() - 1, cols.max() + 1) for y in (rows.min() - 1, rows.max() + 1)],
                       np.float64)
    frame_corners = cv2.perspectiveTransform(corners[None], np.linalg.inv(warp))[0]
    left, top = np.maximum(np.floor(frame_corners.min(0)).astype(int) - 1, 0)
    right = min(int(np.ceil(frame_corners[:, 0].max())) + 2, width)
    bottom = min(int(np.ceil(frame_corners[:, 1].max())) + 2, height)
    if left >= right or top >= bottom:
        return None
    return top, bottom, left, right
