#!/usr/bin/env node
// TF.js's own outputs of a human-models graph for the crops of a maskwatch
// shard, as raw float32 (n x dim), to check tfjs_graph.py against.
//   node features.js MODEL SHARD OUT.f32 OUT_NODE [--norm 255|01] [--limit N]
// Uses the TF.js packages that tools/face-api-golden installs.
'use strict';
const fs = require('fs');
const path = require('path');
const NM = path.join(__dirname, '..', 'face-api-golden', 'node_modules');
const tf = require(path.join(NM, '@tensorflow/tfjs-core'));
require(path.join(NM, '@tensorflow/tfjs-backend-wasm'));
const converter = require(path.join(NM, '@tensorflow/tfjs-converter'));

const argv = process.argv.slice(2);
const [model, shard, out, outNode] = argv;
const opt = (k, d) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : d);
const scale = opt('--norm', '01') === '255' ? 255 : 1;
const limit = parseInt(opt('--limit', '8'), 10);

(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  const dir = path.join(__dirname, 'models');
  const json = JSON.parse(fs.readFileSync(path.join(dir, model + '.json')));
  const w = Buffer.concat(json.weightsManifest[0].paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const m = await converter.loadGraphModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: w.buffer.slice(w.byteOffset, w.byteOffset + w.length),
    }),
  });
  const size = m.inputs[0].shape[1];
  const b = fs.readFileSync(shard);
  const n = Math.min(limit, b.readUInt32LE(8)), side = b.readUInt32LE(12);
  let pos = 16;
  for (let i = 0; i < b.readUInt32LE(8); i++) pos += 5 + b.readUInt16LE(pos + 3);
  const px = new Float32Array(b.subarray(pos, pos + n * side * side * 3));
  const y = tf.tidy(() => {
    let x = tf.tensor4d(px, [n, side, side, 3]);
    if (side !== size) x = tf.image.resizeBilinear(x, [size, size], false);
    return m.execute(tf.mul(x, scale / 255), outNode);
  });
  fs.writeFileSync(out, Buffer.from(y.dataSync().buffer));
  console.log(`${model}: ${n} crops -> ${out} (${y.shape})`);
})();
