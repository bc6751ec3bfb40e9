"""requirements.txt (for pip) and uv.lock (for uv) install the same versions."""
import os
import tomllib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pins():
    """{package: version} of requirements.txt."""
    pinned = {}
    with open(os.path.join(REPO, "requirements.txt")) as f:
        for line in f:
            requirement = line.split("#")[0].strip()
            if requirement:
                name, version = requirement.split("==")
                pinned[name.lower()] = version
    return pinned


def test_requirements_and_uv_lock_pin_the_same_versions():
    with open(os.path.join(REPO, "uv.lock"), "rb") as f:
        packages = tomllib.load(f)["package"]
    locked = {p["name"].lower(): p["version"] for p in packages if "version" in p}
    project = {p["name"].lower() for p in packages if p.get("source", {}).get("virtual") == "."}
    # Packages only some platforms install (colorama for pytest on Windows) need no pin here.
    unconditional = {d["name"].lower() for p in packages
                     for d in p.get("dependencies", []) + p.get("dev-dependencies", {}).get("dev", [])
                     if "marker" not in d}
    requirements = pins()
    assert {name: locked.get(name) for name in requirements} == requirements
    assert unconditional - project <= set(requirements), "uv.lock installs packages requirements.txt does not pin"
