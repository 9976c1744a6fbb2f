// label_photo MODELS PHOTO: each face of PHOTO as "label confidence xmin ymin
// xmax ymax", by the classifier and detector of MODELS (a store, or a folder
// `maskwatch models export` wrote). Exit 1 on an error, with its message.
#include <maskwatch/maskwatch.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: label_photo MODELS PHOTO\n");
    return 2;
  }
  try {
    const mw::FaceLabeller faces = mw::FaceLabeller::open(argv[1]);
    const mw::Image image = mw::read_image(argv[2]);
    std::printf("maskwatch %s, %s\n", mw::version().c_str(), faces.engine().c_str());
    for (const mw::Face& f : faces.detect(image.view()))
      std::printf("%s %.3f %.1f %.1f %.1f %.1f\n", faces.label_of(f).c_str(), f.confidence, f.box.xmin, f.box.ymin,
                  f.box.xmax, f.box.ymax);
  } catch (const mw::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
