"""The BraTS bundle served by a real MONAI Label server (the stock ``monaibundle`` app), called over REST.

MONAI Label 0.8.5 needs torchvision, which has no CPU build beside the CPU torch of the test environment, so the
server runs in its own virtual environment: ``torch==2.14.1 torchvision==0.29.1`` and this package with its
``label`` extra (monailabel 0.8.5 and the pydicom < 3 family it imports). The environment is kept in
``$METAKD_MONAILABEL_VENV`` (default ``~/.cache/metakd-monai/monailabel-venv``) and reused while it works, with the
package installed (editable) from the checkout under test: an environment that imports another checkout's code is
pointed at this one first. The test skips with a message where it cannot be installed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import torch

from metakd_ext.data import stack_brats_case

from .conftest import tiny_brats_network

pytestmark = pytest.mark.slow

VENV = Path(os.environ.get("METAKD_MONAILABEL_VENV", Path.home() / ".cache" / "metakd-monai" / "monailabel-venv"))
TORCH = ("torch==2.14.1", "torchvision==0.29.1")
CASE = "Brats18_2013_11_1"


def _package_dir(python: Path) -> Path | None:
    """Where ``metakd_ext`` of the environment of ``python`` comes from; None where it (or monailabel) is absent.
    Asked from the environment's folder: from a checkout, ``python -c`` would import the checkout's package, installed
    or not, as the server (started elsewhere) would not."""
    probe = [str(python), "-c", "import monailabel, torchvision, metakd_ext; print(metakd_ext.__file__)"]
    done = (
        subprocess.run(probe, capture_output=True, text=True, timeout=300, cwd=python.parent)
        if python.is_file()
        else None
    )
    return Path(done.stdout.strip().splitlines()[-1]).resolve().parent if done and done.returncode == 0 else None


def _venv_python(repo_root: Path) -> Path:
    """The server environment's Python with the package of ``repo_root``: installed on first use, pointed at this
    checkout where it held another's; skips the test where pip cannot install it."""
    python = VENV / "bin" / "python"
    here = (repo_root / "metakd_ext").resolve()
    found = _package_dir(python)
    if found == here:
        return python
    if found is not None:
        step = [str(python), "-m", "pip", "install", "-q", "-e", f"{repo_root}[label]"]
        if subprocess.run(step, capture_output=True, timeout=1800).returncode == 0 and _package_dir(python) == here:
            return python
    shutil.rmtree(VENV, ignore_errors=True)
    VENV.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [str(python), "-m", "pip", "install", "-q", *TORCH, "-e", f"{repo_root}[label]"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            pytest.skip(f"monailabel could not be installed in {VENV}: {(done.stderr or done.stdout)[-600:]}")
    return python


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture()
def served(repo_root: Path, brats18_dir: Path, tmp_path: Path, bundle_dir: Path):
    """A MONAI Label server on 127.0.0.1 with the bundle (tiny untrained weights) and one real case without t1ce."""
    python = _venv_python(repo_root)
    app = tmp_path / "app"
    shutil.copytree(VENV / "monailabel" / "sample-apps" / "monaibundle", app)
    bundle = app / "model" / "metakd_brats"  # where the app looks for local bundles
    shutil.copytree(bundle_dir, bundle, ignore=shutil.ignore_patterns("models", "runs", "eval", "pred"))
    config = json.loads((bundle / "configs" / "inference.json").read_text())
    config.update({"network_channels": [4, 8, 16], "roi_size": [64, 64, 64], "sw_overlap": 0.25})
    (bundle / "configs" / "inference.json").write_text(json.dumps(config, indent=4))
    (bundle / "models").mkdir()
    torch.manual_seed(0)
    torch.save(tiny_brats_network().state_dict(), bundle / "models" / "model.pt")
    case = tmp_path / "cases" / CASE
    shutil.copytree(brats18_dir / CASE, case)
    (case / f"{CASE}_t1ce.nii.gz").unlink()
    studies = tmp_path / "studies"
    stack_brats_case(case, studies / f"{CASE}.nii.gz")
    port = _free_port()
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("VIRTUAL_ENV", None)
    command = [str(python.parent / "monailabel"), "start_server", "--app", str(app), "--studies", str(studies)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    for key, value in (("models", "metakd_brats"), ("zoo_source", "ngc"), ("sam2", "false"), ("skip_trainers", "true")):
        command += ["--conf", key, value]
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 300
        while True:
            try:
                info = _get_json(f"{url}/info/")
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.time() > deadline:
                    pytest.fail(f"MONAI Label did not start:\n{(tmp_path / 'server.log').read_text()[-4000:]}")
                time.sleep(2)
        yield url, info, studies / f"{CASE}.nii.gz"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.mark.xdist_group("multi_process")
def test_info_and_infer_over_rest(served, tmp_path: Path) -> None:
    url, info, image_path = served
    model = info["models"]["metakd_brats"]
    assert model["type"] == "segmentation"
    assert model["labels"] == {"necrotic core": 1, "edema": 2, "enhancing tumor": 4}
    request = urllib.request.Request(f"{url}/infer/metakd_brats?image={CASE}&output=image", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=1500) as response:
        (tmp_path / "pred.nii.gz").write_bytes(response.read())
    pred, image = nib.load(tmp_path / "pred.nii.gz"), nib.load(image_path)
    assert pred.shape == image.shape[:3]
    assert np.allclose(pred.affine, image.affine, atol=1e-4)
    assert set(np.unique(np.asarray(pred.dataobj)).tolist()) <= {0, 1, 2, 4}
