#!/usr/bin/env python3
"""The layers' include order, which the build checks (CMake target layer_check):

    tools/check_layers.py SRC_DIR     exit 0, or 1 naming every include against the order

Each file of SRC_DIR is in one layer, lowest first; a file may include its own
layer's headers and those of the layers below, never one above:
  infer   a photo in, faces out: core, data, stores in folders, the model
          files, the engines, the detector, the public API (maskwatch_infer);
  cloud   S3, the AWS signer and client, the results tables, the jobs, the
          Lambda function (maskwatch_cloud), and libmaskwatch.so's own file;
  server  maskwatch serve (maskwatch_server);
  train   LibTorch: the sources of the maskwatch target (CMakeLists.txt,
          beside SRC_DIR) and their headers, and any file that includes
          <torch/torch.h> itself;
  cli     the command line (src/cli).
"""

import os
import re
import sys

LAYERS = ["infer", "cloud", "server", "train", "cli"]
CLOUD = ("aws/", "lambda/", "jobs/", "results/", "store/s3_store.", "api/library.cpp")
TORCH_TARGET = re.compile(r"add_library\(maskwatch STATIC(.*?)\)", re.S)
INCLUDE = re.compile(r'\s*#\s*include\s+"([^"]+)"')


def reads_torch(path: str) -> bool:
    with open(path, encoding="utf-8", errors="replace") as f:
        return "<torch/torch.h>" in f.read()


def torch_stems(src: str) -> set:
    """The maskwatch (LibTorch) target's sources, without their extension, relative to src."""
    with open(os.path.join(src, "..", "CMakeLists.txt"), encoding="utf-8") as f:
        m = TORCH_TARGET.search(f.read())
    return {os.path.splitext(s[len("src/"):])[0] for s in (m.group(1).split() if m else []) if s.startswith("src/")}


def layer_of(src: str, rel: str, torch: set) -> str:
    if os.path.splitext(rel)[0] in torch or reads_torch(os.path.join(src, rel)):
        return "train"
    if rel.startswith("cli/"):
        return "cli"
    if rel.startswith("server/"):
        return "server"
    if rel.startswith(CLOUD):
        return "cloud"
    return "infer"


def violations(src: str):
    torch = torch_stems(src)
    found = []
    for folder, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".cpp", ".h")):
                continue
            rel = os.path.relpath(os.path.join(folder, name), src).replace(os.sep, "/")
            here = layer_of(src, rel, torch)
            with open(os.path.join(src, rel), encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m or not os.path.exists(os.path.join(src, m.group(1))):
                        continue
                    there = layer_of(src, m.group(1), torch)
                    if LAYERS.index(there) > LAYERS.index(here):
                        found.append(f"{src}/{rel}:{number}: includes \"{m.group(1)}\" ({there}); the {here} layer "
                                     f"may include only {', '.join(LAYERS[:LAYERS.index(here) + 1])}")
    return found


def main() -> int:
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        print(__doc__, file=sys.stderr)
        return 2
    found = violations(sys.argv[1])
    for v in found:
        print(v, file=sys.stderr)
    if found:
        print(f"check_layers: {len(found)} include(s) against the layer order (tools/check_layers.py)",
              file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
