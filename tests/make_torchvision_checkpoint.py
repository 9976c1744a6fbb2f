#!/usr/bin/env python3
"""Writes torchvision ResNet-34 state_dicts for test_torch_checkpoint.cpp.

Usage: make_torchvision_checkpoint.py OUT_DIR

OUT_DIR/resnet34.pth          1000 classes, torch.save(model.state_dict()) (an OrderedDict)
OUT_DIR/resnet34_3class.pth   3 classes
OUT_DIR/wrapped.pth           {"state_dict": <the 3-class one's fc.weight and fc.bias>, "epoch": 7}
OUT_DIR/legacy.pth            the same fc tensors in the pre-1.6 (non-zip) format
OUT_DIR/io.pt                 {"x": input (2x3x64x64), "logits": the 1000-class model's output (eval mode)}

Weights are random (no download): seeded, with non-trivial BatchNorm
statistics and affines, so that every tensor matters to the logits.
"""
import collections
import os
import sys

import torch
import torchvision


def make(num_classes, seed):
    torch.manual_seed(seed)
    m = torchvision.models.resnet34(weights=None, num_classes=num_classes)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                n = mod.num_features
                mod.running_mean.copy_(0.1 * torch.randn(n))
                mod.running_var.copy_(0.5 + torch.rand(n))
                mod.weight.copy_(0.5 + 0.5 * torch.rand(n))  # logits of order 1, not 100
                mod.bias.copy_(0.1 * torch.randn(n))
                mod.num_batches_tracked.fill_(seed + 1)
    return m.eval()


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_torchvision_checkpoint.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    m = make(1000, 1)
    torch.save(m.state_dict(), os.path.join(out, "resnet34.pth"))
    torch.manual_seed(0)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        logits = m(x)
    torch.save({"x": x, "logits": logits}, os.path.join(out, "io.pt"))

    m3 = make(3, 2)
    torch.save(m3.state_dict(), os.path.join(out, "resnet34_3class.pth"))
    fc = collections.OrderedDict((k, v) for k, v in m3.state_dict().items() if k.startswith("fc."))
    torch.save({"state_dict": fc, "epoch": 7}, os.path.join(out, "wrapped.pth"))
    torch.save(fc, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main()
