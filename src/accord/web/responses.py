"""A JSON response rendered by pydantic-core's serialiser instead of the ``json`` module.

For large answers on hot paths: the dispatch intake answer (~5 kB, on every incident) takes
0.16 ms with ``json.dumps`` and 0.03 ms here. For the plain JSON types the services return the
bytes are Starlette's ``JSONResponse``'s (compact separators, UTF-8 not escaped; a float below
1e-4 is written ``1e-7`` rather than ``1e-07``, the same number), and a float that is not
finite is still refused with ValueError. Only for plain JSON content: pydantic-core
would also write what ``json`` refuses (a datetime as ISO 8601, a set as a list).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from pydantic_core import to_json


class FastJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        body = to_json(content, inf_nan_mode="constants")
        # NaN/Infinity written as bare constants (or those words inside a string): let
        # Starlette render it, which refuses a non-finite float as before (allow_nan=False).
        if b"NaN" in body or b"Infinity" in body:
            return super().render(content)
        return body
