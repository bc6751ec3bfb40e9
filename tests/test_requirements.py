"""requirements.txt and twins/requirements.txt (for pip) and uv.lock (for uv) install the same versions."""
import os
import tomllib

from conftest import REPO


def pins():
    """{package: version} of requirements.txt and twins/requirements.txt (a pin may carry a
    platform marker after ';')."""
    pinned = {}
    for path in ("requirements.txt", "twins/requirements.txt"):
        with open(os.path.join(REPO, path)) as f:
            for line in f:
                requirement = line.split("#")[0].split(";")[0].strip()
                if requirement:
                    name, version = requirement.split("==")
                    pinned[name.lower()] = version
    return pinned


def test_requirements_and_uv_lock_pin_the_same_versions():
    with open(os.path.join(REPO, "uv.lock"), "rb") as f:
        packages = tomllib.load(f)["package"]
    locked = {p["name"].lower(): p["version"] for p in packages if p.get("source", {}).get("virtual") != "."}
    assert pins() == locked
