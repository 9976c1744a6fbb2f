"""import maskwatch: the faces of a dataset photo from a path, a numpy array
(RGB or BGR) and a PIL image, alike; given boxes classified; wrong dtypes,
shapes, types and files raise TypeError or ValueError naming the problem;
Python threads get the same answers at once."""

import json
import threading

import numpy
import pytest
from PIL import Image

import maskwatch
from conftest import photo

LABELS = {"with_mask", "without_mask", "mask_weared_incorrect", "unsure"}


def boxes(faces):
    return [f.box for f in faces]


def test_detect_from_a_path_an_array_and_a_pil_image(models):
    m = maskwatch.open(models, threads=2)
    assert m.labels == ["with_mask", "without_mask", "mask_weared_incorrect"]
    faces = m.detect(photo(0))
    assert len(faces) >= 2  # maksssksksss0 has 3 annotated faces
    for f in faces:
        assert f.label in LABELS and 0.5 <= f.face_score <= 1
        assert set(f.scores) == set(m.labels) and abs(sum(f.scores.values()) - 1) < 1e-4
        assert f.confidence == max(f.scores.values())
        json.dumps(f.to_dict())
    rgb = numpy.asarray(Image.open(photo(0)).convert("RGB"))
    assert boxes(m.detect(rgb)) == boxes(faces)
    assert boxes(m.detect(Image.open(photo(0)))) == boxes(faces)
    assert boxes(m.detect(numpy.ascontiguousarray(rgb[:, :, ::-1]), bgr=True)) == boxes(faces)
    # A view into a larger array: rows strided, no copy needed.
    wide = numpy.zeros((rgb.shape[0], rgb.shape[1] + 5, 3), numpy.uint8)
    wide[:, : rgb.shape[1]] = rgb
    assert boxes(m.detect(wide[:, : rgb.shape[1]])) == boxes(faces)
    for f in m.detect(rgb, min_confidence=0.9):
        assert f.unsure == (f.confidence < 0.9) and (f.label == "unsure") == f.unsure and f.guess in m.labels
    assert m.detect(rgb, min_face_size=10_000) == []


def test_classify_given_boxes(models):
    m = maskwatch.open(models)
    given = [[79, 105, 109, 142], [185, 100, 226, 144]]
    faces = m.classify(photo(0), given)
    assert [list(f.box) for f in faces] == given
    assert all(f.face_score == 1 for f in faces)
    assert [f.scores for f in m.classify(numpy.asarray(Image.open(photo(0)).convert("RGB")), given)] == [
        f.scores for f in faces]


def test_bad_input_raises_with_the_reason(models):
    m = maskwatch.open(models)
    rgb = numpy.asarray(Image.open(photo(0)).convert("RGB"))
    with pytest.raises(TypeError, match="uint8"):
        m.detect(rgb.astype(numpy.float32))
    with pytest.raises(ValueError, match="shape"):
        m.detect(rgb[:, :, 0])
    with pytest.raises(ValueError, match="shape"):
        m.detect(numpy.zeros((4, 4, 4), numpy.uint8))
    with pytest.raises(ValueError, match="packed"):
        m.detect(rgb[:, ::2])
    with pytest.raises(TypeError, match="path, a numpy array or a PIL image"):
        m.detect(42)
    with pytest.raises(maskwatch.Error, match="missing.jpg"):
        m.detect("/nonexistent/missing.jpg")
    assert issubclass(maskwatch.Error, ValueError)
    with pytest.raises(ValueError, match="xmin, ymin, xmax, ymax"):
        m.classify(rgb, [[1, 2, 3]])
    with pytest.raises(maskwatch.Error, match="min_confidence"):
        m.detect(rgb, min_confidence=2)
    with pytest.raises(maskwatch.Error):
        maskwatch.open(models, classifier="ffffffffffff")


def test_threads_get_the_same_answers(models):
    m = maskwatch.open(models, threads=1)
    rgb = numpy.asarray(Image.open(photo(1)).convert("RGB"))
    once = boxes(m.detect(rgb))
    got = [None] * 4

    def run(i):
        for _ in range(3):
            got[i] = boxes(m.detect(rgb))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [once] * 4


def test_version():
    assert maskwatch.version().startswith("0.")
