// What probe.js and golden.js share: TF.js from tools/face-api-golden's
// node_modules on the wasm backend, and human-models' graphs from
// tools/pretrained-probe/models (its fetch.sh).
'use strict';

const fs = require('fs');
const path = require('path');

const NODE_MODULES = path.join(__dirname, '..', 'face-api-golden', 'node_modules');
const HUMAN_MODELS = path.join(__dirname, '..', 'pretrained-probe', 'models');
const req = (m) => require(path.join(NODE_MODULES, m));

// TF.js on the wasm backend, its binaries from node_modules (nothing fetched).
async function wasmTf() {
  const tf = req('@tensorflow/tfjs');
  req('@tensorflow/tfjs-backend-wasm').setWasmPaths(path.join(NODE_MODULES, '@tensorflow/tfjs-backend-wasm/dist') + path.sep);
  await tf.setBackend('wasm');
  return tf;
}

// One of human-models' graphs (<name>.json and its .bin), loaded from memory.
async function loadGraph(tf, name) {
  const json = JSON.parse(fs.readFileSync(path.join(HUMAN_MODELS, `${name}.json`), 'utf8'));
  const bin = fs.readFileSync(path.join(HUMAN_MODELS, `${name}.bin`));
  return tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: new Uint8Array(bin).buffer, format: json.format, signature: json.signature,
  }));
}

module.exports = { NODE_MODULES, req, wasmTf, loadGraph };
