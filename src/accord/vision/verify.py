"""``vision.face-verify``: one live photo against one document photo, with consent (1:1 only).

The runner module of the verification capability: the only vision module that imports dlib. Each
photo must show one face clearly larger than any other (dlib's HOG frontal detector); the
5-point landmark predictor aligns it and dlib's ResNet turns it into a 128-number descriptor;
the result is the Euclidean distance between the two descriptors, reported with the threshold
and what is known about the error rates at that threshold. The descriptors exist only inside
:func:`compare_two`, which overwrites them with zeros before it returns: there is no template
store, no gallery and no function that takes more than two faces.

The model files come from the ``face-recognition-models`` wheel, found without importing its
``__init__`` (which needs ``pkg_resources``). Its 68-point predictor is not used (non-commercial
upstream licence); the 5-point one is.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dlib
import numpy as np

from accord.core.errors import ValidationFailed
from accord.core.i18n import M_

#: dlib's documented operating point for this network (same person below 0.6).
THRESHOLD = 0.6
AMBIGUOUS_AREA = 0.5  # a second face at least half the size of the largest: refuse
PREDICTOR = "shape_predictor_5_face_landmarks.dat"
RESNET = "dlib_face_recognition_resnet_model_v1.dat"


def models_dir() -> Path:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ValidationFailed(detail=M_("face verification: the face-recognition-models package "
                                         "is not installed"))
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@cache
def weights_digest() -> str:
    sha = hashlib.sha256()
    for name in (PREDICTOR, RESNET):
        sha.update((models_dir() / name).read_bytes())
    return "sha256:" + sha.hexdigest()


def dlib_version() -> str:
    return str(dlib.__version__)


@cache
def _models() -> tuple[Any, Any, Any]:
    folder = models_dir()
    return (dlib.get_frontal_face_detector(),
            dlib.shape_predictor(str(folder / PREDICTOR)),
            dlib.face_recognition_model_v1(str(folder / RESNET)))


def _descriptor(rgb: np.ndarray, which: str) -> np.ndarray:
    """The one face's 128-d descriptor; refuses photos with no face or several faces."""
    detector, predictor, network = _models()
    # At the photo's own scale first (fewer false detections); upsampled once only when that
    # finds nothing (small faces).
    faces = detector(rgb, 0) or detector(rgb, 1)
    if len(faces) == 0:
        raise ValidationFailed(detail=M_("%(which)s: no face found; take a clear, frontal photo",
                                         which=which))
    ranked = sorted(faces, key=lambda f: f.area(), reverse=True)
    # A much smaller second detection is a background face or a false detection (dlib's HOG
    # detector has some); two faces of similar size make the photo ambiguous.
    if len(ranked) > 1 and ranked[1].area() > AMBIGUOUS_AREA * ranked[0].area():
        raise ValidationFailed(detail=M_("%(which)s: %(count)s faces of similar size found; the "
                                         "photo must show only the person being verified",
                                         which=which, count=len(faces)))
    shape = predictor(rgb, ranked[0])
    return np.array(network.compute_face_descriptor(rgb, shape), dtype=np.float64)


def compare_two(first: np.ndarray, second: np.ndarray) -> float:
    """Distance between the faces of exactly two RGB images. The descriptors are zeroed
    before returning: nothing about either face outlives this call but one number."""
    a = _descriptor(first, "live photo")
    try:
        b = _descriptor(second, "document photo")
        try:
            return float(np.linalg.norm(a - b))
        finally:
            b.fill(0.0)
    finally:
        a.fill(0.0)


ERROR_RATES_UNMEASURED = (
    "Error rates at this threshold are NOT measured in Accord: no labelled genuine/impostor "
    "identity pairs ship in any package Accord can install (scikit-image's lfw_subset is "
    "face/non-face only; the packaged photos show two different people at most). Treat the "
    "number as unvalidated; the officer's own comparison of face and document decides.")


def error_rates() -> dict[str, Any]:
    """What is known about the error rates at :data:`THRESHOLD`: here, that they are unknown
    (never a borrowed figure presented as a local measurement)."""
    return {"false_match_rate": None, "false_non_match_rate": None, "genuine_pairs": 0,
            "impostor_pairs": 0, "measured": False, "statement": ERROR_RATES_UNMEASURED}


def run_verify(inputs: Mapping[str, Any]) -> Any:
    from accord.core.registry import ModelOutput
    from accord.vision import detect
    from accord.vision.capability import blob_store

    store = blob_store()
    live = detect.load_image(store.get(str(inputs["live_sha256"])))[:, :, ::-1].copy()
    document = detect.load_image(store.get(str(inputs["document_sha256"])))[:, :, ::-1].copy()
    distance = compare_two(live, document)
    rates = error_rates()
    similarity = max(0.0, 1.0 - distance)
    below = distance < THRESHOLD
    explanation = (
        f"Face distance {distance:.3f} (similarity {similarity:.3f}); threshold {THRESHOLD}: "
        f"{'below' if below else 'not below'} the threshold. {rates['statement']} "
        "This is an aid to a human identity check, not a finding: an adverse use needs a second "
        "person's confirmation.")
    return ModelOutput(
        output={"distance": round(distance, 4), "similarity": round(similarity, 4),
                "threshold": THRESHOLD, "below_threshold": below, "error_rates": rates,
                "consent": str(inputs.get("consent") or "")},
        explanation=explanation, confidence=None)

