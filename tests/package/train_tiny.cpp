// train_tiny VOC_DIR STORE PHOTO: the pipeline's calls from a program outside
// maskwatch's build (maskwatch::train): ingest VOC_DIR into STORE, prepare
// 32 px crops, train a ResNet-18 for one epoch, then label PHOTO's faces with
// the model it published and the bundled detector. Prints the model's id and
// the faces found; exit 1 on an error, with its message.
#include <maskwatch.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: train_tiny VOC_DIR STORE PHOTO\n");
    return 2;
  }
  try {
    mw::IngestOptions in;
    in.data_dir = argv[1], in.store = argv[2];
    mw::ingest(in);
    mw::PrepareOptions pr;
    pr.store = argv[2], pr.crop_size = 32;
    mw::prepare(pr);
    const mw::json given = {{"arch", "resnet18"}, {"input_size", 32}, {"epochs", 1}, {"batch", 16}, {"threads", 2}};
    const mw::json model = mw::train(mw::resolve_train_options(argv[2], given));
    mw::OpenOptions o;
    o.detector = "pretrained";
    const mw::FaceLabeller faces = mw::FaceLabeller::open(argv[2], o);
    const mw::Image image = mw::read_image(argv[3]);
    std::printf("model %s: %zu faces\n", model.at("id").get<std::string>().c_str(), faces.detect(image.view()).size());
  } catch (const mw::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
