#!/usr/bin/env node
// Golden outputs of face-api's FaceRecognitionNet (dlib ResNet-29, 128-d descriptor)
// for checking the LibTorch port. See README.md.
//
//   node generate.js [--backend wasm|cpu] [--decoder opencv|jpeg-js] [--out FILE]
//                    [--data DIR] [--faces FILE] [--rgb-dir DIR] [--no-cross-check]
//                    [--compare FILE] [--no-npm-view]
//
// --decoder      opencv (default): build dump_rgb.cpp with g++ against the system
//                OpenCV and decode with cv::imread + BGR2RGB, as the C++ project does;
//                jpeg-js: pure-JS decoder (NOT pixel-identical to libjpeg-turbo)
// --no-cross-check  skip re-running every face on the other backend (cpu or wasm);
//                by default the max abs differences over the full maps are stored
//                under "backend_agreement"
// --faces FILE   JSON list [{image:"maksssksksss0.jpg", box:[x0,y0,x1,y1]}, ...]
//                (default: the four faces in DEFAULT_FACES, boxes read from the XML)
// --rgb-dir DIR  take decoded pixels from DIR/<stem>.<W>x<H>.rgb (raw interleaved RGB,
//                uint8, row-major; e.g. written from cv::imread + BGR2RGB) instead of
//                decoding the JPEG
// --compare FILE print the max abs differences against another golden file and exit 0

'use strict';

const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const HERE = __dirname;
const REPO = path.resolve(HERE, '..', '..');

function parseArgs(argv) {
  const a = {
    backend: 'wasm',
    out: path.join(REPO, 'tests', 'golden', 'face_recognition.json'),
    data: path.resolve(REPO, '..', 'shared', 'data', 'face-mask-detection'),
    faces: null,
    rgbDir: null,
    decoder: 'opencv',
    crossCheck: true,
    compare: null,
    npmView: true,
  };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i];
    const v = () => { if (i + 1 >= argv.length) throw new Error(`${k} needs a value`); return argv[++i]; };
    if (k === '--backend') a.backend = v();
    else if (k === '--out') a.out = path.resolve(v());
    else if (k === '--data') a.data = path.resolve(v());
    else if (k === '--faces') a.faces = path.resolve(v());
    else if (k === '--rgb-dir') a.rgbDir = path.resolve(v());
    else if (k === '--decoder') a.decoder = v();
    else if (k === '--no-cross-check') a.crossCheck = false;
    else if (k === '--compare') a.compare = path.resolve(v());
    else if (k === '--no-npm-view') a.npmView = false;
    else if (k === '-h' || k === '--help') {
      console.log(fs.readFileSync(__filename, 'utf8').split('\n').slice(1, 20).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  if (!['wasm', 'cpu'].includes(a.backend)) throw new Error('--backend must be wasm or cpu');
  if (!['opencv', 'jpeg-js'].includes(a.decoder)) throw new Error('--decoder must be opencv or jpeg-js');
  return a;
}

// Default faces: [annotation stem, object index in the XML (0-based)].
const DEFAULT_FACES = [
  ['maksssksksss0', 0], // 30x37 without_mask, small, taller than wide (odd pad)
  ['maksssksksss1', 0], // 33x35 with_mask
  ['maksssksksss14', 0], // 87x127 without_mask, large
  ['maksssksksss19', 3], // 78x71 with_mask, large, wider than tall (odd pad)
];

// ---------------------------------------------------------------- helpers
function readVocObjects(xmlPath) {
  const xml = fs.readFileSync(xmlPath, 'utf8');
  const objs = [];
  const re = /<object>([\s\S]*?)<\/object>/g;
  let m;
  const num = (s, tag) => {
    const r = new RegExp(`<${tag}>\\s*([-0-9.]+)\\s*</${tag}>`).exec(s);
    if (!r) throw new Error(`${xmlPath}: no <${tag}>`);
    return Number(r[1]);
  };
  while ((m = re.exec(xml))) {
    const s = m[1];
    const name = (/<name>\s*([^<]*?)\s*<\/name>/.exec(s) || [])[1];
    objs.push({ name, box: [num(s, 'xmin'), num(s, 'ymin'), num(s, 'xmax'), num(s, 'ymax')] });
  }
  return objs;
}

// Shortest decimal that reads back as the same float32 (<= 9 significant digits).
function f32str(x) {
  const f = Math.fround(x);
  if (f === 0) return 0;
  for (let p = 6; p <= 9; p++) {
    const s = Number(f.toPrecision(p));
    if (Math.fround(s) === f) return s;
  }
  return f;
}

// Deterministic PRNG (mulberry32) for the sampled positions.
function mulberry32(seed) {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6D2B79F5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function samplePositions(n, k, seed) {
  if (n <= k) return Array.from({ length: n }, (_, i) => i);
  const rnd = mulberry32(seed);
  const set = new Set([0, n - 1]);
  while (set.size < k) set.add(Math.floor(rnd() * n));
  return [...set].sort((a, b) => a - b);
}

const FULL_LIMIT = 1024; // maps up to this many elements are stored whole
const N_SAMPLES = 50;

function summarize(data, shape, seed) {
  let sum = 0; let sumsq = 0; let min = Infinity; let max = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    sum += v; sumsq += v * v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const m = { shape: shape.slice(), layout: 'NHWC', sum, sumsq, min: f32str(min), max: f32str(max) };
  if (data.length <= FULL_LIMIT) {
    m.values = Array.from(data, f32str);
  } else {
    m.indices = samplePositions(data.length, N_SAMPLES, seed);
    m.values = m.indices.map((i) => f32str(data[i]));
  }
  return m;
}

// --------------------------------------------------------------- model ops
// Copied from node_modules/@vladmandic/face-api/src/faceRecognitionNet/*.ts
function makeOps(tf) {
  const scale = (x, p) => tf.add(tf.mul(x, p.weights), p.biases);
  const convLayer = (x, p, strides, withRelu, padding = 'same') => {
    let out = tf.conv2d(x, p.conv.filters, strides, padding);
    out = tf.add(out, p.conv.bias);
    out = scale(out, p.scale);
    return withRelu ? tf.relu(out) : out;
  };
  const conv = (x, p) => convLayer(x, p, [1, 1], true);
  const convNoRelu = (x, p) => convLayer(x, p, [1, 1], false);
  const convDown = (x, p) => convLayer(x, p, [2, 2], true, 'valid');
  const residual = (x, p) => {
    let out = conv(x, p.conv1);
    out = convNoRelu(out, p.conv2);
    out = tf.add(out, x);
    return tf.relu(out);
  };
  const residualDown = (x, p) => {
    let out = convDown(x, p.conv1);
    out = convNoRelu(out, p.conv2);
    let pooled = tf.avgPool(x, 2, 2, 'valid');
    const zeros = tf.zeros(pooled.shape);
    const isPad = pooled.shape[3] !== out.shape[3];
    const isAdjustShape = pooled.shape[1] !== out.shape[1] || pooled.shape[2] !== out.shape[2];
    if (isAdjustShape) {
      const padShapeX = [...out.shape]; padShapeX[1] = 1;
      out = tf.concat([out, tf.zeros(padShapeX)], 1);
      const padShapeY = [...out.shape]; padShapeY[2] = 1;
      out = tf.concat([out, tf.zeros(padShapeY)], 2);
    }
    pooled = isPad ? tf.concat([pooled, zeros], 3) : pooled;
    out = tf.add(pooled, out);
    return tf.relu(out);
  };
  return { conv, convDown, residual, residualDown };
}

// Re-run FaceRecognitionNet.forwardInput step by step, keeping the maps.
function forwardWithMaps(tf, faceapi, params, netInput) {
  const { convDown, residual, residualDown } = makeOps(tf);
  const keep = {};
  const desc = tf.tidy(() => {
    const batchTensor = tf.cast(netInput.toBatchTensor(150, true), 'float32');
    const meanRgb = [122.782, 117.001, 104.298];
    const normalized = faceapi.normalize(batchTensor, meanRgb).div(255);
    keep.input = tf.keep(normalized);
    let out = convDown(normalized, params.conv32_down);
    out = tf.maxPool(out, 3, 2, 'valid');
    keep.stem = tf.keep(out);
    out = residual(out, params.conv32_1);
    out = residual(out, params.conv32_2);
    out = residual(out, params.conv32_3);
    keep.conv32_3 = tf.keep(out);
    out = residualDown(out, params.conv64_down);
    out = residual(out, params.conv64_1);
    out = residual(out, params.conv64_2);
    out = residual(out, params.conv64_3);
    keep.conv64_3 = tf.keep(out);
    out = residualDown(out, params.conv128_down);
    out = residual(out, params.conv128_1);
    out = residual(out, params.conv128_2);
    keep.conv128_2 = tf.keep(out);
    out = residualDown(out, params.conv256_down);
    out = residual(out, params.conv256_1);
    out = residual(out, params.conv256_2);
    keep.conv256_2 = tf.keep(out);
    out = residualDown(out, params.conv256_down_out);
    keep.conv256_down_out = tf.keep(out);
    const globalAvg = out.mean([1, 2]);
    keep.mean = tf.keep(globalAvg);
    return tf.matMul(globalAvg, params.fc);
  });
  return { desc, keep };
}

// ------------------------------------------------------------- image input
// Build dump_rgb.cpp and decode `images` with OpenCV into a temp dir; returns info.
function decodeWithOpenCV(args, images) {
  const os = require('os');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'face-api-golden-'));
  const exe = path.join(tmp, 'dump_rgb');
  const inc = process.env.OPENCV_INCLUDE || '/usr/include/opencv4';
  const cxx = process.env.CXX || 'g++';
  try {
    execFileSync(cxx, ['-O1', '-std=c++17', path.join(HERE, 'dump_rgb.cpp'), `-I${inc}`,
      '-lopencv_imgcodecs', '-lopencv_imgproc', '-lopencv_core', '-o', exe], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    throw new Error(`cannot build dump_rgb.cpp against OpenCV (${e.message}); use --decoder jpeg-js or --rgb-dir`);
  }
  const rgbDir = path.join(tmp, 'rgb');
  fs.mkdirSync(rgbDir);
  const cvVersion = execFileSync(exe, [rgbDir, ...images.map((i) => path.join(args.data, 'images', i))], { encoding: 'utf8' }).trim();
  let libjpeg = null;
  try {
    const m = /(libjpeg\S*) => (\S+)/.exec(execFileSync('ldd', [exe], { encoding: 'utf8' }));
    if (m) libjpeg = fs.realpathSync(m[2]);
  } catch (e) { /* ldd missing: leave null */ }
  return { tmp, rgbDir, cvVersion, libjpeg };
}

function loadRgb(args, image) {
  const stem = image.replace(/\.[^.]+$/, '');
  if (args.rgbDir) {
    const f = fs.readdirSync(args.rgbDir).find((n) => new RegExp(`^${stem}\\.(\\d+)x(\\d+)\\.rgb$`).test(n));
    if (!f) throw new Error(`no ${stem}.<W>x<H>.rgb in ${args.rgbDir}`);
    const [, W, H] = /\.(\d+)x(\d+)\.rgb$/.exec(f).map(Number);
    const buf = fs.readFileSync(path.join(args.rgbDir, f));
    if (buf.length !== W * H * 3) throw new Error(`${f}: ${buf.length} bytes, expected ${W * H * 3}`);
    return { width: W, height: H, rgb: new Uint8Array(buf.buffer, buf.byteOffset, buf.length) };
  }
  const jpeg = require('jpeg-js');
  const img = jpeg.decode(fs.readFileSync(path.join(args.data, 'images', image)), {
    useTArray: true, formatAsRGBA: false, colorTransform: undefined, maxMemoryUsageInMB: 512,
  });
  return { width: img.width, height: img.height, rgb: img.data };
}

function cropRgb(img, box) {
  // Box convention (as maskwatch::Box): half-open [x0,x1) x [y0,y1), integer,
  // clipped to the image. Exactly those pixels, no margin.
  const [x0, y0, x1, y1] = [
    Math.max(0, Math.min(img.width, Math.trunc(box[0]))),
    Math.max(0, Math.min(img.height, Math.trunc(box[1]))),
    Math.max(0, Math.min(img.width, Math.trunc(box[2]))),
    Math.max(0, Math.min(img.height, Math.trunc(box[3]))),
  ];
  const w = x1 - x0; const h = y1 - y0;
  if (w <= 0 || h <= 0) throw new Error(`empty crop ${box}`);
  const out = new Int32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = img.rgb[((y0 + y) * img.width + (x0 + x)) * 3 + c];
    }
  }
  const sha = require('crypto').createHash('sha256').update(Uint8Array.from(out)).digest('hex');
  return { data: out, h, w, box: [x0, y0, x1, y1], sha };
}

// ------------------------------------------------------------------ compare
function compare(aPath, bPath) {
  const A = JSON.parse(fs.readFileSync(aPath, 'utf8'));
  const B = JSON.parse(fs.readFileSync(bPath, 'utf8'));
  const maxAbs = (x, y) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
  console.log(`compare ${A.versions.backend} (${path.basename(aPath)}) vs ${B.versions.backend} (${path.basename(bPath)})`);
  let worstDesc = 0; const worstMap = {};
  A.faces.forEach((fa, i) => {
    const fb = B.faces[i];
    if (fa.image !== fb.image || String(fa.box) !== String(fb.box)) throw new Error('face lists differ');
    const d = maxAbs(fa.descriptor, fb.descriptor);
    worstDesc = Math.max(worstDesc, d);
    const parts = [`descriptor ${d.toExponential(2)}`];
    for (const k of Object.keys(fa.maps)) {
      const ma = fa.maps[k]; const mb = fb.maps[k];
      const dv = maxAbs(ma.values, mb.values);
      const ds = Math.abs(ma.sum - mb.sum);
      worstMap[k] = Math.max(worstMap[k] || 0, dv);
      parts.push(`${k} ${dv.toExponential(2)} (sum ${ds.toExponential(2)})`);
    }
    console.log(`  ${fa.image} ${JSON.stringify(fa.box)}: ${parts.join(', ')}`);
  });
  console.log(`  max |descriptor diff| = ${worstDesc.toExponential(3)}`);
  for (const [k, v] of Object.entries(worstMap)) console.log(`  max |${k} diff| = ${v.toExponential(3)}`);
}

// --------------------------------------------------------------------- main
async function main() {
  const args = parseArgs(process.argv);
  if (args.compare) { compare(args.out, args.compare); return; }

  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
  const { tf } = faceapi;
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
  wasm.setWasmPaths(wasmDir);
  if (!(await tf.setBackend(args.backend))) throw new Error(`tf.setBackend('${args.backend}') failed`);
  await tf.ready();
  tf.enableProdMode();
  const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
  await faceapi.nets.faceRecognitionNet.loadFromDisk(modelDir);
  const net = faceapi.nets.faceRecognitionNet;
  const { params } = net;

  // face list
  let faces;
  if (args.faces) {
    faces = JSON.parse(fs.readFileSync(args.faces, 'utf8'));
  } else {
    faces = DEFAULT_FACES.map(([stem, idx]) => {
      const objs = readVocObjects(path.join(args.data, 'annotations', `${stem}.xml`));
      return { image: `${stem}.jpg`, annotation: `${stem}.xml`, object_index: idx, label: objs[idx].name, box: objs[idx].box };
    });
  }

  // decoder
  let decoder;
  let cvTmp = null;
  if (args.rgbDir) {
    decoder = { name: 'raw-rgb', detail: 'pixels read from <rgb-dir>/<stem>.<W>x<H>.rgb (interleaved RGB uint8)' };
  } else if (args.decoder === 'opencv') {
    const info = decodeWithOpenCV(args, [...new Set(faces.map((f) => f.image))]);
    cvTmp = info.tmp;
    args.rgbDir = info.rgbDir;
    decoder = {
      name: 'opencv',
      opencv: info.cvVersion,
      libjpeg: info.libjpeg,
      detail: 'cv::imread(path, IMREAD_COLOR) + cvtColor(BGR2RGB) via tools/face-api-golden/dump_rgb.cpp (python3-opencv is not installed; the system C++ OpenCV that the project links is used instead)',
    };
  } else {
    decoder = {
      name: 'jpeg-js',
      version: require('jpeg-js/package.json').version,
      detail: 'jpeg-js decode(useTArray, formatAsRGBA:false); NOT pixel-identical to cv::imread (libjpeg-turbo)',
    };
  }

  const imgCache = new Map();
  const crops = [];
  const outFaces = [];
  let maxSelfDiff = 0;
  const runFace = async (crop) => {
    const input = tf.tensor3d(crop.data, [crop.h, crop.w, 3], 'int32');
    // 1. face-api's own entry point
    const descriptor = await net.computeFaceDescriptor(input);
    // 2. same ops, step by step, for the intermediate maps
    const netInput = await faceapi.toNetInput(input);
    const { desc, keep } = forwardWithMaps(tf, faceapi, params, netInput);
    const re = desc.dataSync();
    desc.dispose();
    input.dispose();
    const maps = {};
    for (const [k, t] of Object.entries(keep)) { maps[k] = t.dataSync().slice(); maps[k].shape = t.shape.slice(); t.dispose(); }
    return { descriptor, stepwise: re, maps };
  };

  for (const f of faces) {
    if (!imgCache.has(f.image)) imgCache.set(f.image, loadRgb(args, f.image));
    const img = imgCache.get(f.image);
    const crop = cropRgb(img, f.box);
    crops.push(crop);
    const r = await runFace(crop);
    for (let i = 0; i < 128; i++) maxSelfDiff = Math.max(maxSelfDiff, Math.abs(r.stepwise[i] - r.descriptor[i]));

    const maps = {};
    let seed = 1;
    for (const [k, data] of Object.entries(r.maps)) maps[k] = summarize(data, data.shape, 0x5EED0000 + seed++);

    const norm = Math.sqrt(r.descriptor.reduce((s, v) => s + v * v, 0));
    console.log(`${f.image} box ${JSON.stringify(crop.box)} crop ${crop.h}x${crop.w}: |descriptor| = ${norm.toFixed(4)}`);
    outFaces.push({
      image: f.image,
      ...(f.annotation !== undefined ? { annotation: f.annotation, object_index: f.object_index, label: f.label } : {}),
      box: crop.box,
      crop_size: [crop.h, crop.w],
      image_size: [img.height, img.width],
      crop_rgb_sha256: crop.sha,
      descriptor: Array.from(r.descriptor, f32str),
      descriptor_norm: norm,
      maps,
      _full: r,
    });
  }
  console.log(`max |computeFaceDescriptor - step-by-step| = ${maxSelfDiff.toExponential(3)}`);

  // optional: the other backend, full-map differences
  let agreement;
  if (args.crossCheck) {
    const other = args.backend === 'wasm' ? 'cpu' : 'wasm';
    if (!(await tf.setBackend(other))) throw new Error(`tf.setBackend('${other}') failed`);
    await tf.ready();
    agreement = { backends: [args.backend, other], max_abs_diff: {}, max_rel_diff_to_map_absmax: {} };
    const upd = (k, a, b) => {
      let d = 0; let mx = 0;
      for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); mx = Math.max(mx, Math.abs(a[i])); }
      agreement.max_abs_diff[k] = Math.max(agreement.max_abs_diff[k] || 0, d);
      agreement.max_rel_diff_to_map_absmax[k] = Math.max(agreement.max_rel_diff_to_map_absmax[k] || 0, d / (mx || 1));
    };
    for (let i = 0; i < crops.length; i++) {
      const r = await runFace(crops[i]);
      const mine = outFaces[i]._full;
      upd('descriptor', mine.descriptor, r.descriptor);
      for (const k of Object.keys(mine.maps)) upd(k, mine.maps[k], r.maps[k]);
    }
    for (const o of [agreement.max_abs_diff, agreement.max_rel_diff_to_map_absmax]) for (const k of Object.keys(o)) o[k] = Number(o[k].toPrecision(3));
    console.log(`backend agreement ${args.backend} vs ${other} (max abs diff over full maps): ${JSON.stringify(agreement.max_abs_diff)}`);
    await tf.setBackend(args.backend);
  }
  for (const f of outFaces) delete f._full;
  if (cvTmp) fs.rmSync(cvTmp, { recursive: true, force: true });

  // integrity of the face-api tarball: lock file vs registry
  const lock = JSON.parse(fs.readFileSync(path.join(HERE, 'package-lock.json'), 'utf8'));
  const lockEntry = lock.packages['node_modules/@vladmandic/face-api'];
  let registry = null;
  if (args.npmView) {
    try {
      registry = execFileSync('npm', ['view', '@vladmandic/face-api@1.7.15', 'dist.integrity'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch (e) { registry = null; }
  }
  const integrity = {
    package: `@vladmandic/face-api@${lockEntry.version}`,
    package_lock: lockEntry.integrity,
    npm_view: registry,
    match: registry === null ? null : registry === lockEntry.integrity,
  };
  console.log(`integrity: lock ${integrity.package_lock}\n           npm  ${integrity.npm_view} -> match ${integrity.match}`);

  const weightsFile = path.join(modelDir, 'face_recognition_model.bin');
  const sha256 = require('crypto').createHash('sha256').update(fs.readFileSync(weightsFile)).digest('hex');

  const golden = {
    generator: 'tools/face-api-golden/generate.js',
    command: `node generate.js ${process.argv.slice(2).join(' ')}`.trim(),
    description: "face-api FaceRecognitionNet (dlib ResNet-29) golden outputs: descriptor = faceapi.nets.faceRecognitionNet.computeFaceDescriptor(tf.tensor3d(crop, 'int32')); maps re-computed with the same tf ops as src/faceRecognitionNet/*.ts (their descriptor equals computeFaceDescriptor's bit for bit)",
    versions: {
      'face-api': faceapi.version,
      tfjs: tf.version.tfjs,
      'tfjs-backend-wasm': wasm.version_wasm,
      backend: tf.getBackend(),
      node: process.version,
    },
    integrity,
    weights: { file: 'node_modules/@vladmandic/face-api/model/face_recognition_model.bin', sha256, bytes: fs.statSync(weightsFile).size },
    decoder,
    conventions: {
      box: 'integer [x0,y0,x1,y1] from the VOC XML, half-open [x0,x1) x [y0,y1), clipped to the image; crop = exactly those pixels, RGB, no margin',
      crop_size: '[h, w]',
      crop_rgb_sha256: 'sha256 of the crop as h*w*3 uint8 RGB bytes, row-major: proves the decoder gave the same pixels',
      maps: 'NHWC float32; sum and sumsq accumulated in double over all elements in flat order; maps with <= 1024 elements store all values (flat NHWC order, no indices), larger ones store values at the listed flat NHWC indices',
      map_order: 'input = (toBatchTensor(150,isCenter) - meanRgb)/255; stem = conv32_down + maxPool; conv32_3, conv64_3, conv128_2, conv256_2, conv256_down_out = outputs of those residual blocks; mean = mean over H,W (input of fc); descriptor = mean x fc, no bias, no L2 normalisation',
    },
    ...(agreement ? { backend_agreement: agreement } : {}),
    faces: outFaces,
  };
  fs.mkdirSync(path.dirname(args.out), { recursive: true });
  fs.writeFileSync(args.out, JSON.stringify(golden, null, 1) + '\n');
  console.log(`wrote ${args.out} (${fs.statSync(args.out).size} bytes), backend ${tf.getBackend()}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
