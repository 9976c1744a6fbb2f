#!/usr/bin/env python3
"""Scores probe.js detections against the dataset's boxes (class-agnostic).

  score.py --data DIR RUN.jsonl [RUN.jsonl ...] [--threshold 0.5] [--json]

Per run: face recall at IoU 0.5 by face size (the box's shorter side: under
12 px, 12-24, 24-64, over 64) with every detection kept (the most the
detector can find) and at --threshold, false positives per photo at
--threshold, face AP at IoU 0.5 (VOC all-point), and the median milliseconds
per photo.
"""
import argparse
import json
import os
import statistics
import xml.etree.ElementTree as ET

BANDS = [("under_12", 0, 12), ("12_24", 12, 24), ("24_64", 24, 64), ("over_64", 64, 1e9)]
IOU = 0.5


def truth(data, stem):
    root = ET.parse(os.path.join(data, "annotations", stem + ".xml")).getroot()
    out = []
    for o in root.iter("object"):
        b = o.find("bndbox")
        out.append([float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")])
    return out


def iou(a, b):
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def band(box):
    side = min(box[2] - box[0], box[3] - box[1])
    return next(name for name, lo, hi in BANDS if lo <= side < hi)


def match(gts, dets):
    """Greedy VOC matching in score order; returns (tp flags per det, matched gt set)."""
    used, flags = set(), []
    for d in sorted(dets, key=lambda d: -d[4]):
        best, bi = IOU, -1
        for i, g in enumerate(gts):
            o = iou(d, g)
            if o >= best and i not in used:
                best, bi = o, i
        flags.append((d[4], bi >= 0))
        if bi >= 0:
            used.add(bi)
    return flags, used


def average_precision(flags, n_gt):
    flags.sort(key=lambda f: -f[0])
    tp = fp = 0
    prec, rec = [], []
    for _, hit in flags:
        tp += hit
        fp += not hit
        prec.append(tp / (tp + fp))
        rec.append(tp / n_gt)
    for i in range(len(prec) - 2, -1, -1):
        prec[i] = max(prec[i], prec[i + 1])
    ap, last = 0.0, 0.0
    for p, r in zip(prec, rec):
        ap += p * (r - last)
        last = r
    return ap


def score(data, path, threshold):
    rows = [json.loads(l) for l in open(path)]
    found_all = {b: [0, 0] for b, _, _ in BANDS}
    found_thr = {b: [0, 0] for b, _, _ in BANDS}
    flags, n_gt, fps = [], 0, 0
    for r in rows:
        gts = truth(data, r["image"])
        n_gt += len(gts)
        f, used = match(gts, r["boxes"])
        flags += f
        _, used_thr = match(gts, [d for d in r["boxes"] if d[4] >= threshold])
        fps += sum(1 for s, hit in f if s >= threshold and not hit)
        for i, g in enumerate(gts):
            for table, hits in ((found_all, used), (found_thr, used_thr)):
                table[band(g)][1] += 1
                table[band(g)][0] += i in hits
    rec = lambda t: {b: round(h / n, 3) if n else None for b, (h, n) in t.items()}
    total = lambda t: round(sum(h for h, _ in t.values()) / n_gt, 3)
    return {
        "run": os.path.basename(path), "photos": len(rows), "faces": n_gt,
        "faces_by_band": {b: n for b, (_, n) in found_all.items()},
        "recall_max": total(found_all), "recall_max_by_band": rec(found_all),
        "recall_at_threshold": total(found_thr), "recall_at_threshold_by_band": rec(found_thr),
        "fp_per_photo": round(fps / len(rows), 2), "ap50": round(average_precision(flags, n_gt), 3),
        "ms_median": round(statistics.median(r["ms"] for r in rows), 1),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--data", default=os.environ.get("MASKWATCH_DATA", "../shared/data/face-mask-detection"))
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    results = [score(a.data, r, a.threshold) for r in a.runs]
    if a.json:
        print(json.dumps(results, indent=1))
        return
    print(f"| run | AP@0.5 | recall (any score) | <12 | 12-24 | 24-64 | >64 | recall @{a.threshold} | FP/photo @{a.threshold} | ms/photo |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for s in results:
        b = s["recall_max_by_band"]
        print(f"| {s['run']} | {s['ap50']} | {s['recall_max']} | {b['under_12']} | {b['12_24']} | {b['24_64']} | {b['over_64']} "
              f"| {s['recall_at_threshold']} | {s['fp_per_photo']} | {s['ms_median']} |")


if __name__ == "__main__":
    main()
