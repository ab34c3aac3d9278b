"""Print tests per database from JUnit XML files; exit 1 if any file ran no test or failed."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main(paths: list[str]) -> int:
    status = 0
    for path in paths:
        root = ET.parse(path).getroot()  # noqa: S314 (our own pytest output)
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        total = sum(int(s.get("tests", 0)) for s in suites)
        failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
        skipped = sum(int(s.get("skipped", 0)) for s in suites)
        passed = total - failed - skipped
        print(f"{Path(path).stem}: {passed} passed, {failed} failed, {skipped} skipped")
        if total == 0 or failed:
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
