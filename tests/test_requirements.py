"""The pinned versions: requirements.txt (what recdemo asks for) and constraints.txt (every
installed package, transitive ones included) must agree, and the test environment must be
the one they describe."""

from __future__ import annotations

import re
from importlib import metadata

from conftest import ROOT


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            package, version = line.split("==")
            pins[re.sub(r"[-_.]+", "-", package).lower()] = version
    return pins


def test_every_requirement_is_pinned_to_its_constrained_version():
    required, constrained = _pins("requirements.txt"), _pins("constraints.txt")
    assert {k: constrained.get(k) for k in required} == required


def test_the_installed_packages_are_the_constrained_ones():
    for package, version in _pins("constraints.txt").items():
        assert metadata.version(package) == version, package
