"""Fixtures for the vision tests: a real face photo that ships in a package (scikit-image's
astronaut, NASA, public domain), encoded once per session, and the users who act."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from accord.core.roles import Role


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def face_png_full() -> bytes:
    """The 512x512 original (dlib's detector wants faces of about 80 px)."""
    from skimage import data

    return png(data.astronaut())


@pytest.fixture(scope="session")
def face_png() -> bytes:
    """Halved to 256x256 (face about 60 px): a quarter of the detection time."""
    from skimage import data

    return png(np.asarray(Image.fromarray(data.astronaut()).resize((256, 256))))


@pytest.fixture(scope="session")
def no_face_png() -> bytes:
    """A smooth gradient: nothing a face or plate detector should fire on."""
    ramp = np.linspace(0, 255, 320, dtype=np.uint8)
    return png(np.dstack([np.tile(ramp, (240, 1))] * 3))


@pytest.fixture
def users(make_user: Callable[..., object]) -> dict[str, object]:
    return {"officer": make_user("v-officer", Role.OFFICER),
            "supervisor": make_user("v-supervisor", Role.SUPERVISOR),
            "admin": make_user("v-admin", Role.ADMIN),
            "analyst": make_user("v-analyst", Role.ANALYST)}
