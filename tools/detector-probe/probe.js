#!/usr/bin/env node
// Runs one pretrained face detector, as its own TF.js code or graph runs it,
// on decoded photos and writes every detection as a JSON line:
//   {"image": stem, "width": W, "height": H, "ms": t, "boxes": [[x0,y0,x1,y1,score], ...]}
// in the photo's pixels. Usage:
//   node probe.js MODEL SIZE RGB_DIR OUT.jsonl
// MODEL: faceboxes | ssd | tiny | blazeface-back | facemesh-detection-full.
// SIZE: the input size (faceboxes: the longer side the photo is resized to;
// tiny: inputSize; the others run at their fixed size and ignore it).
// RGB_DIR holds <stem>.<W>x<H>.rgb files (tools/face-api-golden/dump_rgb.cpp).
// The TF.js packages come from tools/face-api-golden/node_modules, the
// human-models graphs from third_party/human-models/models (FaceBoxes) and
// tools/pretrained-probe/models (the BlazeFace graphs): see tfjs.js.
'use strict';

const fs = require('fs');
const path = require('path');

const { NODE_MODULES, req, wasmTf, loadGraph } = require('./tfjs');
const MIN_SCORE = 0.05;  // keep low scores: the scorer sweeps the threshold
const MAX_BOXES = 300;
const NMS_IOU = 0.3;

function readRgb(dir, file) {
  const [, stem, W, H] = /^(.*)\.(\d+)x(\d+)\.rgb$/.exec(file);
  const buf = fs.readFileSync(path.join(dir, file));
  return { stem, width: +W, height: +H, rgb: new Int32Array(Uint8Array.from(buf)) };
}

// face-api's own entry points (SSD-MobileNetV1 at its fixed 512 px, Tiny at SIZE).
async function faceApiDetector(tf, kind, size) {
  const faceapi = req('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const modelDir = path.join(NODE_MODULES, '@vladmandic/face-api/model');
  const net = kind === 'ssd' ? faceapi.nets.ssdMobilenetv1 : faceapi.nets.tinyFaceDetector;
  await net.loadFromDisk(modelDir);
  const opts = kind === 'ssd'
    ? new faceapi.SsdMobilenetv1Options({ minConfidence: MIN_SCORE, maxResults: MAX_BOXES })
    : new faceapi.TinyFaceDetectorOptions({ inputSize: size, scoreThreshold: MIN_SCORE });
  return async (img) => {
    const t = tf.tensor3d(img.rgb, [img.height, img.width, 3], 'int32');
    const found = await faceapi.detectAllFaces(t, opts);
    t.dispose();
    return found.map((d) => [d.box.x, d.box.y, d.box.x + d.box.width, d.box.y + d.box.height, d.score]);
  };
}

// FaceBoxes: a TF object-detection graph with its own anchors, decoding and
// NMS inside; it takes a uint8 photo of any size.
async function faceBoxes(tf, size) {
  const model = await loadGraph(tf, 'faceboxes');
  return async (img) => {
    const s = size / Math.max(img.width, img.height);
    const w = Math.round(img.width * s), h = Math.round(img.height * s);
    const x = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(img.rgb, [1, img.height, img.width, 3], 'float32'), [h, w]).round().clipByValue(0, 255).cast('int32'));
    const out = await model.executeAsync({ image_tensor: x }, ['boxes', 'scores', 'num_boxes']);
    const [boxes, scores, num] = await Promise.all(out.map((o) => o.data()));
    tf.dispose([x, ...out]);
    const res = [];
    for (let i = 0; i < num[0]; i++) {
      if (scores[i] < MIN_SCORE) continue;
      const [y0, x0, y1, x1] = boxes.slice(4 * i, 4 * i + 4);
      res.push([x0 * img.width, y0 * img.height, x1 * img.width, y1 * img.height, scores[i]]);
    }
    return res;
  };
}

// BlazeFace anchors as human generates them: strides side/16 and side/8,
// 2 and 6 anchors a cell, centres in input pixels; full range: one anchor a
// cell on a side/4 grid.
function blazeAnchors(side, full) {
  const spec = full ? { strides: [4], anchors: [1] } : { strides: [side / 16, side / 8], anchors: [2, 6] };
  const a = [];
  spec.strides.forEach((stride, i) => {
    const cells = Math.ceil(side / stride);
    for (let y = 0; y < cells; y++) for (let x = 0; x < cells; x++) for (let n = 0; n < spec.anchors[i]; n++) a.push([stride * (x + 0.5), stride * (y + 0.5)]);
  });
  return a;
}

async function blazeFace(tf, name) {
  const model = await loadGraph(tf, name);
  const side = model.inputs[0].shape[1];
  const anchors = blazeAnchors(side, name.includes('full'));
  return async (img) => {
    const x = tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(img.rgb, [1, img.height, img.width, 3], 'float32'), [side, side]).div(127.5).sub(1));
    let res = model.execute(x);
    res = Array.isArray(res) ? res : [res];
    const rows = tf.tidy(() => {
      if (res.length > 2) {  // separate regressor and classifier tensors per scale
        const s = [...res].sort((a, b) => a.size - b.size);
        return tf.concat([tf.concat([s[1], s[3]], 2), tf.concat([s[0], s[2]], 2)], 1).squeeze([0]);
      }
      const r = res.find((t) => t.shape[t.shape.length - 1] === 17) || res[0];
      return r.reshape([-1, r.shape[r.shape.length - 1]]);
    });
    const v = await rows.data();
    const cols = rows.shape[1];
    tf.dispose([x, rows, ...res]);
    const boxes = [], scores = [];
    for (let i = 0; i < anchors.length; i++) {
      const r = v.subarray(i * cols, i * cols + 5);
      const cx = r[1] + anchors[i][0], cy = r[2] + anchors[i][1];
      boxes.push([cy - r[4] / 2, cx - r[3] / 2, cy + r[4] / 2, cx + r[3] / 2].map((q) => q / side));
      scores.push(1 / (1 + Math.exp(-r[0])));
    }
    const keep = await tf.image.nonMaxSuppressionAsync(tf.tensor2d(boxes), tf.tensor1d(scores), MAX_BOXES, NMS_IOU, MIN_SCORE);
    const idx = await keep.data();
    keep.dispose();
    return Array.from(idx).map((i) => [boxes[i][1] * img.width, boxes[i][0] * img.height, boxes[i][3] * img.width, boxes[i][2] * img.height, scores[i]]);
  };
}

async function main() {
  const [model, size, dir, out] = process.argv.slice(2);
  if (!out) throw new Error('usage: node probe.js MODEL SIZE RGB_DIR OUT.jsonl');
  const tf = await wasmTf();
  const detectors = {
    faceboxes: () => faceBoxes(tf, +size),
    ssd: () => faceApiDetector(tf, 'ssd', +size),
    tiny: () => faceApiDetector(tf, 'tiny', +size),
    'blazeface-back': () => blazeFace(tf, 'blazeface-back'),
    'facemesh-detection-full': () => blazeFace(tf, 'facemesh-detection-full'),
  };
  if (!detectors[model]) throw new Error(`unknown model ${model}`);
  const detect = await detectors[model]();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.rgb')).sort();
  const lines = [];
  for (const f of files) {
    const img = readRgb(dir, f);
    await detect(img);  // warm-up excluded from timing only for the first photo's shapes
    const t0 = process.hrtime.bigint();
    const boxes = await detect(img);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    lines.push(JSON.stringify({ image: img.stem, width: img.width, height: img.height, ms, boxes: boxes.map((b) => b.map((q) => +q.toFixed(2))) }));
  }
  fs.writeFileSync(out, lines.join('\n') + '\n');
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
