from os import PathLike
from typing import Any, Dict, List, Sequence, Tuple, Union

Image = Union[str, bytes, PathLike, Any]  # a path, a numpy uint8 H x W x 3 array, or a PIL image

class Error(ValueError): ...

def version() -> str: ...

class Face:
    box: Tuple[float, float, float, float]
    label: str
    guess: str
    confidence: float
    scores: Dict[str, float]
    face_score: float
    unsure: bool
    framing: str
    def to_dict(self) -> dict: ...

class Labeller:
    labels: List[str]
    def __init__(self, store: str, classifier: str = ..., detector: str = ..., threads: int = ...,
                 engine: str = ..., precision: str = ..., min_face_score: float = ...) -> None: ...
    @property
    def classifier_id(self) -> str: ...
    @property
    def detector_id(self) -> str: ...
    @property
    def engine(self) -> str: ...
    def detect(self, image: Image, *, bgr: bool = ..., min_confidence: float = ...,
               min_face_size: float = ...) -> List[Face]: ...
    def classify(self, image: Image, boxes: Sequence[Sequence[float]], *, bgr: bool = ...,
                 min_confidence: float = ...) -> List[Face]: ...

def open(store: str = ..., *, classifier: str = ..., detector: str = ..., threads: int = ..., engine: str = ...,
         precision: str = ..., min_face_score: float = ...) -> Labeller: ...
