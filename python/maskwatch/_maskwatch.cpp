// The Python module's extension (maskwatch._maskwatch) over the public API
// (<maskwatch/maskwatch.h>). Images arrive as numpy arrays (checked here:
// uint8, H x W x 3, channels packed) or paths; inference runs with the GIL
// released, so that Python threads run photos in parallel. mw::Error becomes
// maskwatch.Error (a ValueError) with its where and why.
#include <maskwatch/maskwatch.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

namespace py = pybind11;

namespace {

// One face as the Python layer builds its Face from it:
// (box, face_score, label index, scores, confidence, unsure, framing).
using FaceTuple = std::tuple<std::array<float, 4>, float, int, std::vector<float>, float, bool, std::string>;

std::vector<FaceTuple> tuples(const std::vector<mw::Face>& faces) {
  std::vector<FaceTuple> out;
  out.reserve(faces.size());
  for (const auto& f : faces)
    out.emplace_back(std::array<float, 4>{f.box.xmin, f.box.ymin, f.box.xmax, f.box.ymax}, f.face_score, f.label,
                     f.scores, f.confidence, f.unsure, f.framing);
  return out;
}

// The array's pixels as a view: uint8 (else TypeError), H x W x 3 with
// each pixel's three bytes packed (else ValueError); rows may be strided.
mw::ImageView view_of(const py::array& image, bool bgr) {
  if (!py::isinstance<py::array_t<std::uint8_t>>(image) || image.dtype().kind() != 'u' || image.itemsize() != 1)
    throw py::type_error("image: expected a uint8 array, got dtype " + py::str(image.dtype()).cast<std::string>());
  if (image.ndim() != 3 || image.shape(2) != 3)
    throw py::value_error(
        "image: expected shape (height, width, 3), got " +
        py::str(py::tuple(py::cast(std::vector<py::ssize_t>(image.shape(), image.shape() + image.ndim()))))
            .cast<std::string>());
  if (image.strides(2) != 1 || image.strides(1) != 3 || image.strides(0) < 3 * image.shape(1))
    throw py::value_error("image: its pixels are not packed rows (use numpy.ascontiguousarray)");
  return {static_cast<const std::uint8_t*>(image.data()), static_cast<int>(image.shape(1)),
          static_cast<int>(image.shape(0)), image.strides(0), bgr ? mw::PixelOrder::bgr : mw::PixelOrder::rgb};
}

std::vector<mw::Box> boxes_of(const std::vector<std::array<float, 4>>& boxes) {
  std::vector<mw::Box> out;
  for (const auto& b : boxes) out.push_back({b[0], b[1], b[2], b[3]});
  return out;
}

class Labeller {
 public:
  Labeller(const std::string& store, const mw::OpenOptions& options)
      : faces_(std::make_shared<mw::FaceLabeller>(mw::FaceLabeller::open(store, options))) {}

  std::vector<FaceTuple> detect(const py::array& image, bool bgr, double min_confidence, double min_face_size) const {
    const mw::ImageView view = view_of(image, bgr);
    py::gil_scoped_release free;
    return tuples(faces_->detect(view, {min_confidence, min_face_size}));
  }
  std::vector<FaceTuple> detect_file(const std::string& path, double min_confidence, double min_face_size) const {
    py::gil_scoped_release free;
    const mw::Image image = mw::read_image(path);
    return tuples(faces_->detect(image.view(), {min_confidence, min_face_size}));
  }
  std::vector<FaceTuple> classify(const py::array& image, const std::vector<std::array<float, 4>>& boxes, bool bgr,
                                  double min_confidence) const {
    const mw::ImageView view = view_of(image, bgr);
    const auto given = boxes_of(boxes);
    py::gil_scoped_release free;
    return tuples(faces_->classify(view, given, {min_confidence}));
  }
  std::vector<FaceTuple> classify_file(const std::string& path, const std::vector<std::array<float, 4>>& boxes,
                                       double min_confidence) const {
    const auto given = boxes_of(boxes);
    py::gil_scoped_release free;
    const mw::Image image = mw::read_image(path);
    return tuples(faces_->classify(image.view(), given, {min_confidence}));
  }
  const mw::FaceLabeller& faces() const { return *faces_; }

 private:
  std::shared_ptr<const mw::FaceLabeller> faces_;
};

}  // namespace

PYBIND11_MODULE(_maskwatch, m) {
  m.doc() = "maskwatch's C++ core; use the maskwatch package";
  static py::exception<mw::Error> error(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const mw::Error& e) {
      error(e.what());
    }
  });
  m.def("version", &mw::version);
  py::class_<Labeller>(m, "Labeller")
      .def(py::init([](const std::string& store, const std::string& classifier, const std::string& detector,
                       int threads, const std::string& engine, const std::string& precision, float min_face_score) {
             mw::OpenOptions o;
             o.classifier = classifier, o.detector = detector, o.threads = threads;
             o.engine = engine, o.precision = precision, o.min_face_score = min_face_score;
             py::gil_scoped_release free;
             return Labeller(store, o);
           }),
           py::arg("store"), py::arg("classifier"), py::arg("detector"), py::arg("threads"), py::arg("engine"),
           py::arg("precision"), py::arg("min_face_score"))
      .def("detect", &Labeller::detect)
      .def("detect_file", &Labeller::detect_file)
      .def("classify", &Labeller::classify)
      .def("classify_file", &Labeller::classify_file)
      .def_property_readonly("labels", [](const Labeller& l) { return l.faces().labels(); })
      .def_property_readonly("classifier_id", [](const Labeller& l) { return l.faces().classifier_id(); })
      .def_property_readonly("detector_id", [](const Labeller& l) { return l.faces().detector_id(); })
      .def_property_readonly("engine", [](const Labeller& l) { return l.faces().engine(); });
}
