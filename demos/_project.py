"""Puts the project's folder on the import path, so that a demo finds harness, load and figures
(their own modules, _moons and _pictures, are beside them)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
