"""The build step the package data needs: ReplayWeb.page and htmx, fetched with npm at pinned
versions and checked against their integrity (web/vendor.py), go into web/static/vendor/ before
the package is built, so `pip install` ships them and nothing is fetched at run time. Without
npm or the registry the build goes on with a warning; `citewatch serve` then shows our copies as
text until `python -m web.vendor` succeeds."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithVendor(build_py):
    """build_py, after fetching the browser assets (also run by editable installs)."""

    def run(self) -> None:
        path = Path(__file__).resolve().parent / "web" / "vendor.py"
        spec = importlib.util.spec_from_file_location("citewatch_build_vendor", path)
        assert spec is not None and spec.loader is not None
        vendor = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = vendor
        spec.loader.exec_module(vendor)
        if vendor.main([]) != 0:
            print("warning: the dashboard's replay files are missing (see above)", file=sys.stderr)
        super().run()


setup(cmdclass={"build_py": BuildWithVendor})
