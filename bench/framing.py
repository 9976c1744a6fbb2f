#!/usr/bin/env python3
"""Accuracy by framing: how the classifier does on faces framed unlike the
dataset's crops. Faces whose shorter side is over 64 px, from the photos of
one split of the store's manifest, are re-framed: the crop region is the box
plus a margin m of its size on every side (the model's own margin is what it
trained on), or that region shifted sideways or down by a fraction of the
box. Each framing is one `maskwatch classify --boxes DIR` run over all those
photos; prints the accuracy per framing (--json for JSON).

  bench/framing.py --store S [--split val] [--bin build/maskwatch] [--data DIR] [--min-face 64] [--json]
"""
import argparse, json, os, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

MARGINS = [0.0, 0.15, 0.3, 0.45, 0.6]
SHIFTS = [("left", -0.25, 0.0), ("right", 0.25, 0.0), ("down", 0.0, 0.25)]


def faces_of(annotation, min_face):
    root = ET.parse(annotation).getroot()
    size = root.find("size")
    w, h = int(size.find("width").text), int(size.find("height").text)
    out = []
    for obj in root.findall("object"):
        b = obj.find("bndbox")
        box = [float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")]
        if min(box[2] - box[0], box[3] - box[1]) > min_face:
            out.append((obj.find("name").text, box))
    return w, h, out


def reframed(box, model_margin, margin, dx, dy):
    """The box the model gets so that its crop (box + model_margin) is box + margin, shifted by (dx, dy) boxes."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    bw, bh = box[2] - box[0], box[3] - box[1]
    k = (1 + 2 * margin) / (1 + 2 * model_margin)
    cx, cy = cx + dx * bw, cy + dy * bh
    return [cx - k * bw / 2, cy - k * bh / 2, cx + k * bw / 2, cy + k * bh / 2]


def write_voc(folder, stem, w, h, boxes):
    objects = "".join(
        f"<object><name>with_mask</name><bndbox><xmin>{b[0]:.1f}</xmin><ymin>{b[1]:.1f}</ymin>"
        f"<xmax>{b[2]:.1f}</xmax><ymax>{b[3]:.1f}</ymax></bndbox></object>" for b in boxes)
    with open(os.path.join(folder, stem + ".xml"), "w") as f:
        f.write(f"<annotation><size><width>{w}</width><height>{h}</height><depth>3</depth></size>{objects}</annotation>")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--bin", default="build/maskwatch")
    ap.add_argument("--data", default=os.environ.get("MASKWATCH_DATA", "../shared/data/face-mask-detection"))
    ap.add_argument("--min-face", type=float, default=64)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    manifest = json.load(open(os.path.join(a.store, "dataset", "manifest.json")))
    latest = open(os.path.join(a.store, "models", "latest")).read().strip()
    meta = json.load(open(os.path.join(a.store, "models", latest, "model.json")))
    photos = {}
    for stem in manifest[a.split]:
        w, h, faces = faces_of(os.path.join(a.data, "annotations", stem + ".xml"), a.min_face)
        if faces:
            photos[stem] = (w, h, faces)
    framings = [(f"margin {m:.2f}", m, 0.0, 0.0) for m in MARGINS]
    framings += [(f"margin {meta['margin']:.2f}, shifted {name}", meta["margin"], dx, dy) for name, dx, dy in SHIFTS]
    rows = []
    for name, margin, dx, dy in framings:
        with tempfile.TemporaryDirectory() as folder:
            for stem, (w, h, faces) in photos.items():
                write_voc(folder, stem, w, h, [reframed(b, meta["margin"], margin, dx, dy) for _, b in faces])
            images = [os.path.join(a.data, "images", s + ".png") for s in photos]
            images = [p if os.path.exists(p) else p[:-4] + ".jpg" for p in images]
            out = subprocess.run([a.bin, "--store", a.store, "--json", "-q", "classify", *images, "--boxes", folder],
                                 capture_output=True, text=True)
            results = json.loads(out.stdout)
        right = total = 0
        for stem, r in zip(photos, results):
            for (label, _), face in zip(photos[stem][2], r.get("faces", [])):
                total += 1
                right += face["label"] == label
        rows.append({"framing": name, "faces": total, "accuracy": right / max(total, 1)})
    if a.json:
        print(json.dumps({"model": latest, "split": a.split, "min_face": a.min_face, "framings": rows}))
        return
    print(f"model {latest} ({meta['arch']}, trained with margin {meta['margin']}), {a.split} split, faces over {a.min_face:g} px")
    for r in rows:
        print(f"  {r['framing']:32} {r['accuracy']:.3f}  ({r['faces']} faces)")


if __name__ == "__main__":
    sys.exit(main())
