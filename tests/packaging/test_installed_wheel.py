"""ffmot built as a wheel, installed into a fresh venv and run from another folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_finds_its_norms_and_resources_when_installed(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    (wheel,) = dist.glob("ffmot-*.whl")

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # ffmot's own dependencies come from this test environment (a path, not a site dir, so the
    # editable ffmot installed here is invisible); ffmot itself only from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    Path(site, "ffmot_test_deps.pth").write_text(deps + "\n")
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]

    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FFMOT_NORMS_DIR", "FFMOT_RESOURCES_DIR", "PYTHONPATH")
    }
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import ffmot, ffmot.core.paths as p; print(ffmot.__file__); print(p.norms_dir());"
            "print(p.resources_dir())",
        ],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        check=True,
    ).stdout.splitlines()
    assert where[0].startswith(site), where
    assert where[1].startswith(site) and where[2].startswith(site), where
    assert Path(where[1], "battery.toml").is_file()
    assert Path(where[2], "advice.toml").is_file()
    assert Path(where[2], "activities", "sample-directory.csv").is_file()

    ffmot = env_dir / "bin" / "ffmot"
    p = subprocess.run(
        [
            str(ffmot),
            "score",
            "--test",
            "grip",
            "--sex",
            "female",
            "--age",
            "70",
            "--value",
            "22",
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
    )
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["band"] == "normal"
    p = subprocess.run(
        [str(ffmot), "norms"], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert p.returncode == 0 and "single_leg_stance" in p.stdout
