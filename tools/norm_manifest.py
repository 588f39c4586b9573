#!/usr/bin/env python3
"""Writes (or checks) the manifest of a norm folder: the SHA-256 of each of its data files.

    python tools/norm_manifest.py [FOLDER]          write FOLDER/manifest.toml (default: norms/)
    python tools/norm_manifest.py --check [FOLDER]  say whether FOLDER is a published set

ffmot reads a folder whose files match a published manifest as the published set. Anything
else (a changed, missing or added file, no manifest, or a manifest written after an edit) is
LOCAL, UNVERIFIED on every screen and page. Writing a manifest for an edited folder does not
make it published: releasing a new set also means adding the digest this tool prints to
PUBLISHED in ffmot/core/norms.py, after the numbers have been checked against their sources.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ffmot.core.datafiles import read_toml
from ffmot.core.errors import NormDataError
from ffmot.core.norms import PUBLISHED, set_digest, verify, write_manifest
from ffmot.core.paths import norms_dir


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?", type=Path, help="the norm folder (default: norms/)")
    ap.add_argument("--check", action="store_true", help="check only; write nothing")
    args = ap.parse_args(argv)
    folder: Path = args.folder or norms_dir()
    try:
        if not args.check:
            path = write_manifest(folder)
            print(f"wrote {path}")
        manifest = (
            read_toml(folder / "manifest.toml") if (folder / "manifest.toml").is_file() else {}
        )
        v = verify(folder, str(manifest.get("version", "")))
    except NormDataError as e:
        print(f"norm_manifest: {e}", file=sys.stderr)
        return 2
    files = manifest.get("files")
    digest = set_digest(files) if isinstance(files, dict) else ""
    if v.verified:
        print(f"{folder}: the published norm set {PUBLISHED[digest]} (set digest {digest})")
        return 0
    print(f"{folder}: LOCAL, UNVERIFIED: {v.reason}")
    if not args.check and not v.differing and digest:
        print(
            "To release this folder as a published set, once every number is checked against "
            "its source, add to PUBLISHED in ffmot/core/norms.py:\n"
            f'    "{digest}": "{v.version}",'
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
