"""A small store for the module's tests, made once with the real CLI: the
dataset's first 10 photos, a ResNet-18 trained one epoch (a model, not a good
one), exported as a folder with the bundled face detector."""

import os
import shutil
import subprocess
import tempfile

import pytest

DATA = os.environ.get("MASKWATCH_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data/face-mask-detection"))


def photo(i: int) -> str:
    return os.path.join(DATA, "images", f"maksssksksss{i}.jpg")


@pytest.fixture(scope="session")
def models():
    cli = os.environ["MASKWATCH_CLI"]
    work = tempfile.mkdtemp(prefix="maskwatch-python-")
    voc, store = os.path.join(work, "voc"), os.path.join(work, "store")
    for sub, ext in (("images", "jpg"), ("annotations", "xml")):
        os.makedirs(os.path.join(voc, sub))
        for i in range(10):
            shutil.copy(os.path.join(DATA, sub, f"maksssksksss{i}.{ext}"), os.path.join(voc, sub))
    run = lambda *args: subprocess.run([cli, "-q", "--store", store, *args], check=True, capture_output=True)
    run("ingest", "--data", voc)
    run("prepare", "--crop-size", "32")
    run("--threads", "2", "train", "--arch", "resnet18", "--input-size", "32", "--batch", "16", "--epochs", "1")
    out = os.path.join(work, "models")
    run("models", "export", out, "--detector", "pretrained")
    yield out
    shutil.rmtree(work, ignore_errors=True)
