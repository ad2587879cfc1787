"""Third-party browser assets, fetched when the package is built, never from a CDN at run time.

`python -m web.vendor` downloads each pinned npm tarball with `npm pack`, checks it against the
sha512 integrity pinned below (a changed or substituted tarball is refused), and extracts the
few files the dashboard serves into web/static/vendor/ (not in git). It records what it wrote
in a manifest there, so a second run with every file whole does nothing.

Licences: ReplayWeb.page (replaywebpage) is AGPL-3.0-or-later, shipped unmodified with its
LICENSE beside it; htmx (htmx.org) is 0BSD.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIRECTORY = Path(__file__).parent / "static" / "vendor"
MANIFEST = "manifest.json"
NPM_TIMEOUT = 300  # seconds for one `npm pack`: a 2 MB tarball on a slow link


class VendorError(Exception):
    """An asset could not be fetched or did not match its pin."""


@dataclass(frozen=True)
class Package:
    """A pinned npm tarball and the files taken from it (path in the tarball -> file name)."""

    name: str
    version: str
    integrity: str  # `npm view NAME@VERSION dist.integrity`
    license: str
    files: dict[str, str]

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


PACKAGES = (
    # ui.js (the <replay-web-page> element) and sw.js (the service worker that replays WARC
    # records) are self-contained bundles: none of the package's dependencies are needed.
    Package(
        "replaywebpage",
        "2.4.6",
        "sha512-uG50jESRld0p+fY7+nUxIWl7hvfimreNjSmaNkc/a9a8gBdmb7PH4J42Iib+vgk9KrHd0HLScVT++LgqV5fwpQ==",
        "AGPL-3.0-or-later",
        {
            "package/ui.js": "replaywebpage/ui.js",
            "package/sw.js": "replaywebpage/sw.js",
            "package/LICENSE": "replaywebpage/LICENSE",
        },
    ),
    Package(
        "htmx.org",
        "2.0.11",
        "sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        "0BSD",
        {"package/dist/htmx.min.js": "htmx.min.js"},
    ),
)


def sri_sha512(data: bytes) -> str:
    """The Subresource Integrity string of `data`, as npm records a tarball's integrity."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_manifest(directory: Path) -> dict[str, dict[str, str]]:
    try:
        loaded = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def is_installed(package: Package, directory: Path = VENDOR_DIRECTORY) -> bool:
    """Whether the package's files are in `directory`, extracted from the pinned tarball and
    unchanged since."""
    entry = _read_manifest(directory).get(package.spec)
    if not entry or entry.get("integrity") != package.integrity:
        return False
    for name in package.files.values():
        path = directory / name
        if not path.is_file() or entry.get(name) != _sha256(path):
            return False
    return True


def npm_pack(package: Package, destination: Path) -> bytes:
    """The package's tarball, downloaded with `npm pack` (no install, no scripts)."""
    npm = shutil.which("npm")
    if npm is None:
        raise VendorError("npm not found: install Node.js (npm) to fetch the browser assets")
    try:
        result = subprocess.run(
            [npm, "pack", package.spec, "--json", "--ignore-scripts", "--silent",
             "--pack-destination", str(destination)],
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT,
            check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise VendorError(f"npm pack {package.spec}: no answer in {NPM_TIMEOUT} s") from None
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise VendorError(f"npm pack {package.spec}: {reason}")
    tarballs = list(destination.glob("*.tgz"))
    if len(tarballs) != 1:
        raise VendorError(f"npm pack {package.spec}: expected one tarball, got {len(tarballs)}")
    return tarballs[0].read_bytes()


def extract(package: Package, tarball: bytes, directory: Path) -> dict[str, str]:
    """Check the tarball against its pin, write the package's files (each under a temporary
    name, then renamed) and return their SHA-256 by file name."""
    found = sri_sha512(tarball)
    if found != package.integrity:
        raise VendorError(
            f"{package.spec}: tarball integrity {found} does not match the pinned "
            f"{package.integrity}; refusing it"
        )
    written: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as scratch:
        archive_path = Path(scratch) / "package.tgz"
        archive_path.write_bytes(tarball)
        with tarfile.open(archive_path, "r:gz") as archive:
            for member_name, name in package.files.items():
                try:
                    member = archive.getmember(member_name)
                    source = archive.extractfile(member) if member.isfile() else None
                except KeyError:
                    source = None
                if source is None:
                    raise VendorError(f"{package.spec}: no file {member_name} in the tarball")
                target = directory / name
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_name(f".{target.name}.partial")
                partial.write_bytes(source.read())
                partial.replace(target)
                written[name] = _sha256(target)
    return written


def install(directory: Path = VENDOR_DIRECTORY, packages: tuple[Package, ...] = PACKAGES) -> int:
    """Fetch and extract every package not already installed; the number fetched."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(directory)
    fetched = 0
    for package in packages:
        if is_installed(package, directory):
            continue
        with tempfile.TemporaryDirectory() as download:
            tarball = npm_pack(package, Path(download))
        files = extract(package, tarball, directory)
        manifest[package.spec] = {
            "integrity": package.integrity,
            "license": package.license,
            **files,
        }
        # Written after each package so an interrupted run keeps what it finished.
        (directory / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        fetched += 1
    return fetched


def main(argv: list[str] | None = None) -> int:
    """`python -m web.vendor [--directory DIR]`: 0 when every asset is in place, 1 if not."""
    parser = argparse.ArgumentParser(
        prog="python -m web.vendor", description="Fetch the pinned browser assets."
    )
    parser.add_argument("--directory", type=Path, default=VENDOR_DIRECTORY)
    args = parser.parse_args(argv)
    try:
        fetched = install(args.directory)
    except (VendorError, OSError, tarfile.TarError) as exc:
        print(f"web.vendor: {exc}", file=sys.stderr)
        return 1
    status = f"fetched {fetched}" if fetched else "all present"
    print(f"web.vendor: {len(PACKAGES)} packages in {args.directory} ({status})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
