// The Lambda deployment zip: bootstrap, the LibTorch-free binary, every
// shared library it loads (glibc and its loader included, so it runs on
// provided.al2023 as built), and the model's plain weights.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/paths.h"
#include "detect/detector_artifact.h"
#include "detect/faceboxes.h"
#include "model/model_ref.h"
#include "store/object_store.h"

namespace fs = std::filesystem;

namespace mw {

namespace {

constexpr std::uint64_t kLambdaUnzippedLimit = 250ull * 1000 * 1000;  // bytes, AWS's limit for a function's code

// Runs argv (no shell) in cwd; returns its standard output and standard error
// together; throws when it cannot start or exits other than with 0.
std::string run_program(const std::vector<std::string>& argv, const std::string& cwd = "") {
  std::vector<char*> args;  // built before the spawn: nothing allocates in the child
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw Error(argv[0], std::string("cannot create a pipe: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);  // dup2 clears O_CLOEXEC on 1 and 2
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  if (!cwd.empty()) posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (spawned != 0) {
    close(out[0]);
    throw Error(argv[0],
                spawned == ENOENT ? "not found (install it)" : std::string("cannot run: ") + std::strerror(spawned));
  }
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = read(out[0], buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw Error(argv[0], std::string("cannot wait for it: ") + std::strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return text;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) throw Error(argv[0], "not found (install it)");
  const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                            : "signal " + std::to_string(WTERMSIG(status));
  throw Error(argv[0], "failed (" + how + "): " + text.substr(0, 400));
}

// Every shared library the binary loads, with the dynamic loader first.
std::vector<fs::path> shared_libraries(const fs::path& binary) {
  const auto text = run_program({"ldd", binary.string()});
  std::vector<fs::path> libs;
  static const std::regex arrow(R"(=>\s+(/\S+))"), loader(R"(^\s*(/\S*ld-linux\S*))");
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (line.find("not found") != std::string::npos) throw Error(binary.string(), "ldd: " + line);
    if (std::regex_search(line, m, loader))
      libs.insert(libs.begin(), m[1].str());
    else if (std::regex_search(line, m, arrow))
      libs.push_back(m[1].str());
  }
  return libs;
}

std::uint64_t tree_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

constexpr const char* kBootstrap = R"sh(#!/bin/sh
# maskwatch on AWS Lambda (provided.al2023): the bundled loader and libraries,
# so the binary runs exactly as it was built and tested.
here="${LAMBDA_TASK_ROOT:-$(cd "$(dirname "$0")" && pwd)}"
export MASKWATCH_MODEL_STORE="${MASKWATCH_MODEL_STORE:-file://$here/model}"
export MASKWATCH_DETECTOR_DIR="${MASKWATCH_DETECTOR_DIR:-$here/share/maskwatch/human-models}"
exec "$here/lib/LOADER" --library-path "$here/lib" "$here/bin/maskwatch-lambda" "$@"
)sh";

}  // namespace

json package_lambda(const PackageOptions& opt, const Reporter& rep) {
  fs::path binary = opt.lambda_binary;
  if (binary.empty()) binary = fs::path(executable_dir()) / "maskwatch-lambda";
  if (!fs::exists(binary)) throw Error(binary.string(), "the Lambda build is missing (build target maskwatch_lambda)");

  std::string stage_template = (fs::temp_directory_path() / "maskwatch-package-XXXXXX").string();
  if (!mkdtemp(stage_template.data()))
    throw Error(stage_template, std::string("cannot make the staging folder: ") + std::strerror(errno));
  const fs::path stage = stage_template;
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{stage};
  fs::create_directories(stage / "bin");
  fs::create_directories(stage / "lib");

  fs::copy_file(binary, stage / "bin" / "maskwatch-lambda");
  auto libs = shared_libraries(binary);
  if (libs.empty() || libs.front().filename().string().find("ld-linux") == std::string::npos)
    throw Error(binary.string(), "ldd shows no dynamic loader");
  for (const auto& lib : libs) fs::copy_file(fs::canonical(lib), stage / "lib" / lib.filename());
  std::string boot = kBootstrap;
  boot.replace(boot.find("LOADER"), 6, libs.front().filename().string());
  write_file_atomic((stage / "bootstrap").string(), boot);
  fs::permissions(stage / "bootstrap", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                           fs::perms::others_read | fs::perms::others_exec);
  rep.say("packaged " + binary.string() + " and " + std::to_string(libs.size()) + " shared libraries");

  // The model as a small file store: models/<id>/{model.json, inference.bin} and models/latest.
  auto store = open_store(opt.store);
  auto ref = find_model(*store, opt.model);
  if (!ref.meta.contains("plain_sha256") || !store->exists(ref.dir + kPlainWeightsFile))
    throw Error(store->uri() + "/" + ref.dir, "model has no plain export, which the Lambda build needs");
  auto model_store = open_store((stage / "model").string());
  model_store->put(ref.dir + "model.json", store->get(ref.dir + "model.json"));
  model_store->put(ref.dir + kPlainWeightsFile, store->get(ref.dir + kPlainWeightsFile));
  model_store->put(kLatestKey, ref.meta.at("id").get<std::string>() + "\n");
  // The face detector, for photos sent without boxes: the store's newest
  // fine-tuned one where it has one, and FaceBoxes as it ships (the fallback).
  if (store->exists(kLatestDetectorKey)) {
    const std::string id = resolve_detector_id(*store, "latest"), dir = kDetectorsPrefix + id + "/";
    for (const char* f : {kDetectorManifest, kDetectorShard, kDetectorMeta})
      model_store->put(dir + f, store->get(dir + f));
    model_store->put(kLatestDetectorKey, id + "\n");
  }
  const fs::path detector = stage / "share" / "maskwatch" / "human-models";
  fs::create_directories(detector);
  for (const char* f : {kFaceBoxesGraph, kFaceBoxesWeights}) fs::copy_file(fs::path(faceboxes_dir()) / f, detector / f);

  const std::uint64_t unzipped = tree_bytes(stage);
  const fs::path output = fs::absolute(opt.output);
  // Checked before zipping, so an oversize package never replaces a good one.
  if (unzipped > kLambdaUnzippedLimit)
    throw Error(output.string(), "unzipped size " + std::to_string(unzipped) + " bytes is over Lambda's limit of " +
                                     std::to_string(kLambdaUnzippedLimit));
  if (opt.zip_level < 0 || opt.zip_level > 9) throw Error("package --zip-level", "expected 0 to 9");
  fs::create_directories(output.parent_path());
  const fs::path tmp_zip = output.string() + ".tmp.zip";
  struct RemoveUnlessKept {  // the partial zip goes on any failure
    fs::path p;
    bool keep = false;
    ~RemoveUnlessKept() {
      std::error_code ec;
      if (!keep) fs::remove(p, ec);
    }
  } partial{tmp_zip};
  fs::remove(tmp_zip);
  run_program({"zip", "-q", "-r", "-" + std::to_string(opt.zip_level), "-X", "-y", tmp_zip.string(), "."},
              stage.string());
  fs::rename(tmp_zip, output);
  partial.keep = true;
  const std::uint64_t zipped = fs::file_size(output);
  json r = {{"zip", output.string()},
            {"zipped_bytes", zipped},
            {"unzipped_bytes", unzipped},
            {"unzipped_limit_bytes", kLambdaUnzippedLimit},
            {"fits", unzipped <= kLambdaUnzippedLimit},
            {"model", ref.meta.at("id")},
            {"libraries", libs.size()}};
  return r;
}

}  // namespace mw
