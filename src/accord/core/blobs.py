"""A content-addressed file store for evidence, passport images and audio saved to a case.

Files are stored once under ``<state_dir>/blobs/ab/cdef…`` by their SHA-256, so a digest in the
database (and in a chain-of-custody record) names exactly one byte sequence and any change to a
stored file is detectable by re-hashing it. Writes go to a temporary file first and are renamed
into place, so a crash never leaves a half-written blob under a valid name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from accord.core.errors import NotFound, ValidationFailed
from accord.core.i18n import M_, N_

MAX_BLOB_BYTES = 25 * 1024 * 1024


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def for_state_dir(cls, state_dir: Path) -> BlobStore:
        return cls(state_dir / "blobs")

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(ch not in "0123456789abcdef" for ch in sha256):
            raise ValidationFailed(detail=M_("sha256: expected 64 lower-case hex digits"))
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` and return its SHA-256 (hex). Storing the same bytes twice is a no-op."""
        if not data:
            raise ValidationFailed(detail=M_("file: the file is empty"))
        if len(data) > MAX_BLOB_BYTES:
            raise ValidationFailed(detail=M_("file: larger than %(megabytes)s MB",
                                             megabytes=MAX_BLOB_BYTES // (1024 * 1024)))
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        if not path.exists():
            raise NotFound(N_("No stored file with digest %(id)s"), id=sha256)
        return path.read_bytes()

    def verify(self, sha256: str) -> bool:
        """True when the stored bytes still hash to their name."""
        try:
            return hashlib.sha256(self.get(sha256)).hexdigest() == sha256
        except NotFound:
            return False

    def delete(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        if path.exists():
            path.unlink()
            return True
        return False
