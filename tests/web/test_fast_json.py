"""FastJSONResponse gives Starlette's JSONResponse bytes for plain JSON content (a float below
1e-4 is written in another notation, for the same value), and refuses a float that is not
finite the same way."""

from __future__ import annotations

import json
import math

import pytest
from fastapi.responses import JSONResponse

from accord.web.responses import FastJSONResponse

CONTENTS = [
    {"reference": "E-1", "lat": 60.1699, "lon": 24.9384, "priority": 2, "closed_at": None,
     "narrative": [{"text": "Сосед шумит, 邻居很吵 \"quoted\" \\ \n\t\u2028", "at": "2026"}],
     "ok": True, "no": False, "big": 1.5e300, "small": 0.0001, "neg": -0.0, "int": 2**62,
     "nested": [[], {}, [1, 2.5, "x"]]},
    [], "text with NaN and Infinity in it", 0, -1.25, None,
]


@pytest.mark.parametrize("content", CONTENTS)
def test_same_bytes_as_starlette(content) -> None:  # type: ignore[no-untyped-def]
    assert FastJSONResponse(content).body == JSONResponse(content).body


def test_a_tiny_float_has_the_same_value() -> None:
    content = {"tiny": [1e-7, 1e-5, -3.5e-9]}
    fast = FastJSONResponse(content).body
    assert fast == b'{"tiny":[1e-7,0.00001,-3.5e-9]}'
    assert json.loads(fast) == json.loads(JSONResponse(content).body) == content


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_float_that_is_not_finite_is_refused(bad: float) -> None:
    with pytest.raises(ValueError):
        FastJSONResponse({"lat": [1.0, bad]})
