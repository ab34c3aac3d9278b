"""The lock files agree with pyproject.toml (offline: no resolver, no network).

Every install (make run, make test, CI) comes from requirements/lock*.txt. Someone who adds or
changes a dependency in pyproject.toml without running `make lock` makes these tests fail.
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
LOCK_TEST = ROOT / "requirements" / "lock-test.txt"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(path: Path) -> dict[str, Version]:
    """name -> pinned version, for each `name==version` line of a pip-compile output."""
    found: dict[str, Version] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = Version(match.group(2))
    return found


def requirements(extra: str | None) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = project["dependencies"]
    if extra is not None:
        reqs = reqs + project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def disagreements(reqs: list[Requirement], locked: dict[str, Version]) -> list[str]:
    problems = []
    for req in reqs:
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        version = locked.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req} is not pinned")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req} but the lock pins {version}")
    return problems


@pytest.mark.parametrize(("lock", "extra"), [(LOCK, None), (LOCK_TEST, "test")])
def test_every_requirement_is_pinned_within_its_specifier(lock: Path, extra: str | None) -> None:
    problems = disagreements(requirements(extra), pins(lock))
    assert not problems, (
        f"{lock.relative_to(ROOT)} disagrees with pyproject.toml; run `make lock`:\n  "
        + "\n  ".join(problems)
    )


@pytest.mark.parametrize(("lock", "extra"), [(LOCK, None), (LOCK_TEST, "test")])
def test_no_stale_direct_pins(lock: Path, extra: str | None) -> None:
    # A dependency dropped from pyproject.toml must leave the lock too (pip-compile annotates
    # direct requirements "via accord (pyproject.toml)").
    direct, current = set(), None
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
        elif line.lstrip().startswith("#") and "accord (pyproject.toml)" in line and current:
            direct.add(current)
    wanted = {canonicalize_name(r.name) for r in requirements(extra)}
    assert direct <= wanted, f"run `make lock`: no longer required: {sorted(direct - wanted)}"


def test_the_two_locks_pin_shared_packages_alike() -> None:
    # make test installs lock.txt then lock-test.txt into one venv: they must not fight.
    base, test = pins(LOCK), pins(LOCK_TEST)
    differ = {n: (v, test.get(n)) for n, v in base.items() if test.get(n) != v}
    assert not differ, f"run `make lock`: lock.txt vs lock-test.txt differ on {differ}"


def test_locks_are_hashed_and_portable() -> None:
    for lock in (LOCK, LOCK_TEST):
        text = lock.read_text(encoding="utf-8")
        unhashed = [ln for ln in text.splitlines() if PIN.match(ln) and not ln.endswith("\\")]
        assert not unhashed, f"{lock.name}: pins without hashes: {unhashed}"
        # Machine-local package sources must not leak into the committed lock.
        assert "--find-links" not in text and "--extra-index-url" not in text, lock.name
