"""maskwatch: the faces in a photo, and whether each wears a mask.

    import maskwatch
    faces = maskwatch.open("maskwatch-data")
    for face in faces.detect("photo.jpg"):
        print(face.label, round(face.confidence, 2), face.box)

An image is a path, a numpy array (height x width x 3, uint8, RGB; bgr=True
for OpenCV's order) or a PIL image. Calls release the GIL while they run, so
Python threads label photos in parallel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from . import _maskwatch
from ._maskwatch import Error

__all__ = ["open", "Labeller", "Face", "Error", "version"]


def version() -> str:
    """The library's version and commit, e.g. '0.1.0 (commit 1a2b3c4d)'."""
    return _maskwatch.version()


@dataclass(frozen=True)
class Face:
    """One face: where, how sure it is a face, and its label.

    label is "unsure" when the confidence is under the call's min_confidence
    (guess then holds the best label); scores holds one calibrated
    probability per label (a confidence of 0.9 is right about 9 times in 10).
    """

    box: Tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in pixels
    label: str
    guess: str
    confidence: float
    scores: Dict[str, float]
    face_score: float  # the detector's face probability; 1 for a box you gave
    unsure: bool
    framing: str = ""

    def to_dict(self) -> dict:
        """The face as JSON-ready builtins."""
        out = {"box": list(self.box), "label": self.label, "confidence": self.confidence,
               "scores": dict(self.scores), "face_score": self.face_score, "unsure": self.unsure}
        if self.unsure:
            out["guess"] = self.guess
        return out


def _is_path(image) -> bool:
    return isinstance(image, (str, bytes, os.PathLike))


def _array(image, bgr: bool):
    """A numpy array of the image: a PIL image converted to RGB; an array as is."""
    if hasattr(image, "convert") and hasattr(image, "size"):  # a PIL image
        import numpy
        return numpy.asarray(image.convert("RGB")), False
    if hasattr(image, "__array_interface__") or hasattr(image, "__array__"):
        import numpy
        return numpy.asarray(image), bgr
    raise TypeError(f"image: expected a path, a numpy array or a PIL image, got {type(image).__name__}")


class Labeller:
    """The face detector and the mask classifier, loaded once (see open())."""

    def __init__(self, store: str, classifier: str = "latest", detector: str = "latest", threads: int = 0,
                 engine: str = "auto", precision: str = "auto", min_face_score: float = 0.5):
        self._core = _maskwatch.Labeller(os.fspath(store), classifier, detector, threads, engine, precision,
                                         min_face_score)
        self.labels: List[str] = list(self._core.labels)

    @property
    def classifier_id(self) -> str:
        return self._core.classifier_id

    @property
    def detector_id(self) -> str:
        return self._core.detector_id

    @property
    def engine(self) -> str:
        """What runs the classifier, e.g. 'plain int8'."""
        return self._core.engine

    def _faces(self, raw) -> List[Face]:
        labels = self.labels
        return [Face(tuple(box), "unsure" if unsure else labels[k], labels[k], confidence,
                     dict(zip(labels, scores)), face_score, unsure, framing)
                for box, face_score, k, scores, confidence, unsure, framing in raw]

    def detect(self, image, *, bgr: bool = False, min_confidence: float = 0.0,
               min_face_size: float = 0.0) -> List[Face]:
        """Every face the detector finds in the image, classified, best face first."""
        if _is_path(image):
            return self._faces(self._core.detect_file(os.fsdecode(image), min_confidence, min_face_size))
        array, bgr = _array(image, bgr)
        return self._faces(self._core.detect(array, bgr, min_confidence, min_face_size))

    def classify(self, image, boxes: Sequence[Sequence[float]], *, bgr: bool = False,
                 min_confidence: float = 0.0) -> List[Face]:
        """The faces at the given boxes ([xmin, ymin, xmax, ymax] in pixels), in order."""
        given = [tuple(float(v) for v in b) for b in boxes]
        if any(len(b) != 4 for b in given):
            raise ValueError("boxes: each box is [xmin, ymin, xmax, ymax]")
        if _is_path(image):
            return self._faces(self._core.classify_file(os.fsdecode(image), given, min_confidence))
        array, bgr = _array(image, bgr)
        return self._faces(self._core.classify(array, given, bgr, min_confidence))

    def __repr__(self) -> str:
        return f"maskwatch.Labeller(classifier={self.classifier_id!r}, detector={self.detector_id!r}, " \
               f"engine={self.engine!r})"


def open(store: str = "maskwatch-data", **options) -> Labeller:  # noqa: A001 (as maskwatch.open reads)
    """The labeller of a store (a folder, file:///path or s3://bucket/prefix) or
    of a folder that `maskwatch models export` wrote.

    Options: classifier="latest", detector="latest" (or "pretrained"),
    threads=0 (all cores), engine="auto", precision="auto", min_face_score=0.5.
    """
    return Labeller(store, **options)
