#!/usr/bin/env python3
"""Accuracy by framing: how the classifier does on faces framed unlike the
dataset's crops, from the photos of one split of the store's manifest.

- framings: faces whose shorter side is over 64 px re-framed: the crop region
  is the box plus a margin m of its size on every side (the model's own margin
  is what it trained on), or that region shifted sideways or down by a
  fraction of the box. One `maskwatch classify --boxes DIR` run per framing.
- far faces: the same faces with their photo made smaller (build/bench/rescale_photos,
  area averaging) so that the face's shorter side is 48, 24 or 16 px, as a
  farther camera would see it, each classified at the model's own framing.
- whole photos: the photos that hold a single annotated face, over 64 px,
  through `maskwatch classify --whole-image --whole-image-rule RULE` for each
  rule (the face detector's largest face, the whole image, its centred
  square); prints how often each rule applied and was right.

Prints the accuracy per row (--json for JSON).

  bench/framing.py --store S [--split val] [--model ID] [--bin build/maskwatch] [--rescale build/bench/rescale_photos]
                   [--data DIR] [--min-face 64] [--sizes 48,24,16] [--rules face,image,centre]
                   [--parts framings,far,whole] [--json]
"""
import argparse, json, os, subprocess, sys, tempfile
import xml.etree.ElementTree as ET

MARGINS = [0.0, 0.15, 0.3, 0.45, 0.6]
SHIFTS = [("left", -0.25, 0.0), ("right", 0.25, 0.0), ("down", 0.0, 0.25)]


def annotation_of(path):
    root = ET.parse(path).getroot()
    size = root.find("size")
    w, h = int(size.find("width").text), int(size.find("height").text)
    faces = []
    for obj in root.findall("object"):
        b = obj.find("bndbox")
        faces.append((obj.find("name").text, [float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")]))
    return w, h, faces


def shorter_side(box):
    return min(box[2] - box[0], box[3] - box[1])


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


def image_path(data, stem):
    p = os.path.join(data, "images", stem + ".png")
    return p if os.path.exists(p) else p[:-4] + ".jpg"


def classify(a, images, *args):
    out = subprocess.run([a.bin, "--store", a.store, "--json", "-q", "classify", "--model", a.model, *images, *args],
                         capture_output=True, text=True)
    if not out.stdout.strip():
        sys.exit(f"classify failed: {out.stderr}")
    return json.loads(out.stdout)


def score(labels, results):
    """labels: per image, the true labels of its faces in order; results: classify's answers."""
    right = total = 0
    for truth, r in zip(labels, results):
        for label, face in zip(truth, r.get("faces", [])):
            total += 1
            right += face["label"] == label
    return right, total


def framings(a, photos, margin):
    rows = []
    cases = [(f"margin {m:.2f}", m, 0.0, 0.0) for m in MARGINS]
    cases += [(f"margin {margin:.2f}, shifted {name}", margin, dx, dy) for name, dx, dy in SHIFTS]
    for name, m, dx, dy in cases:
        with tempfile.TemporaryDirectory() as folder:
            for stem, (w, h, faces) in photos.items():
                write_voc(folder, stem, w, h, [reframed(b, margin, m, dx, dy) for _, b in faces])
            results = classify(a, [image_path(a.data, s) for s in photos], "--boxes", folder)
        right, total = score([[l for l, _ in f] for _, _, f in photos.values()], results)
        rows.append({"framing": name, "faces": total, "accuracy": right / max(total, 1)})
    return rows


def far_faces(a, photos):
    """Each face over min_face px in its own copy of the photo, made smaller so that the face is `size` px."""
    rows = []
    for size in a.sizes:
        with tempfile.TemporaryDirectory() as folder:
            jobs, images, labels = [], [], []
            for stem, (w, h, faces) in photos.items():
                for k, (label, box) in enumerate(faces):
                    f = size / shorter_side(box)
                    name = f"{stem}-{k}"
                    out = os.path.join(folder, name + ".png")
                    jobs.append(f"{image_path(a.data, stem)} {out} {f:.6f}")
                    write_voc(folder, name, round(w * f), round(h * f), [[v * f for v in box]])
                    images.append(out)
                    labels.append([label])
            r = subprocess.run([a.rescale], input="\n".join(jobs) + "\n", capture_output=True, text=True)
            if r.returncode:
                sys.exit(f"rescale_photos failed: {r.stderr}")
            results = classify(a, images, "--boxes", folder)
        right, total = score(labels, results)
        rows.append({"framing": f"face made {size} px", "faces": total, "accuracy": right / max(total, 1)})
    return rows


def whole_photos(a, stems):
    """Photos of one annotated face over min_face px, each rule of classify --whole-image."""
    picked = {}
    for stem in stems:
        _, _, faces = annotation_of(os.path.join(a.data, "annotations", stem + ".xml"))
        if len(faces) == 1 and shorter_side(faces[0][1]) > a.min_face:
            picked[stem] = faces[0][0]
    rows = []
    for rule in a.rules:
        results = classify(a, [image_path(a.data, s) for s in picked], "--whole-image", "--whole-image-rule", rule)
        right, total = score([[l] for l in picked.values()], results)
        applied = {}
        for r in results:
            for face in r.get("faces", []):
                applied[face.get("framing", "")] = applied.get(face.get("framing", ""), 0) + 1
        rows.append({"framing": f"whole photo, rule {rule}", "faces": total, "accuracy": right / max(total, 1),
                     "applied": applied})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", required=True)
    ap.add_argument("--split", default="val")
    ap.add_argument("--model", default="latest")
    ap.add_argument("--bin", default="build/maskwatch")
    ap.add_argument("--rescale", default="build/bench/rescale_photos")
    ap.add_argument("--data", default=os.environ.get("MASKWATCH_DATA", "../shared/data/face-mask-detection"))
    ap.add_argument("--min-face", type=float, default=64)
    ap.add_argument("--sizes", default="48,24,16")
    ap.add_argument("--rules", default="face,image,centre")
    ap.add_argument("--parts", default="framings,far,whole")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    a.sizes = [int(s) for s in a.sizes.split(",") if s]
    a.rules = [r for r in a.rules.split(",") if r]
    parts = set(a.parts.split(","))
    manifest = json.load(open(os.path.join(a.store, "dataset", "manifest.json")))
    if a.model == "latest":
        a.model = open(os.path.join(a.store, "models", "latest")).read().strip()
    meta = json.load(open(os.path.join(a.store, "models", a.model, "model.json")))
    latest = a.model
    photos = {}
    for stem in manifest[a.split]:
        w, h, faces = annotation_of(os.path.join(a.data, "annotations", stem + ".xml"))
        faces = [(label, box) for label, box in faces if shorter_side(box) > a.min_face]
        if faces:
            photos[stem] = (w, h, faces)
    rows = []
    if "framings" in parts:
        rows += framings(a, photos, meta["margin"])
    if "far" in parts:
        rows += far_faces(a, photos)
    if "whole" in parts:
        rows += whole_photos(a, manifest[a.split])
    if a.json:
        print(json.dumps({"model": latest, "split": a.split, "min_face": a.min_face, "framings": rows}))
        return
    print(f"model {latest} ({meta['arch']}, trained with margin {meta['margin']}), {a.split} split, "
          f"faces over {a.min_face:g} px")
    for r in rows:
        applied = ", ".join(f"{k or 'none'}: {v}" for k, v in sorted(r.get("applied", {}).items()))
        print(f"  {r['framing']:34} {r['accuracy']:.3f}  ({r['faces']} faces{'; ' + applied if applied else ''})")


if __name__ == "__main__":
    sys.exit(main())
