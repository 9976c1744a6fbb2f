#!/usr/bin/env node
// Prints the tables of CENTERNET.md, read from centernet.json's modelTopology
// and the constants in centernet.bin (third_party/human-models/models, from
// third_party/human-models/fetch.sh), so that the map a port follows is the
// graph's own: node "node centernet_map.js > /tmp/tables.md".
'use strict';

const { readGraph } = require('./tfjs');

const { json, bin } = readGraph('centernet');
const nodes = json.modelTopology.node;
const byName = new Map(nodes.map((n) => [n.name, n]));
const consumers = new Map();
for (const n of nodes) {
  for (const i of n.input || []) {
    const src = i.replace(/:\d+$/, '');
    if (!consumers.has(src)) consumers.set(src, []);
    consumers.get(src).push(n);
  }
}

// Constant values (float16-quantised floats, int32).
const consts = {};
{
  let off = 0;
  const f16 = (h) => {
    const e = (h >> 10) & 31, m = h & 1023, s = h >> 15 ? -1 : 1;
    return s * (e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15));
  };
  for (const w of json.weightsManifest.flatMap((g) => g.weights)) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const half = w.quantization && w.quantization.dtype === 'float16';
    const v = [];
    for (let i = 0; i < n && i < 16; i++) v.push(half ? f16(bin.readUInt16LE(off + 2 * i)) : w.dtype === 'int32' ? bin.readInt32LE(off + 4 * i) : bin.readFloatLE(off + 4 * i));
    consts[w.name] = { shape: w.shape, dtype: w.dtype, stored: half ? 'float16' : w.dtype, v };
    off += n * (half ? 2 : 4);
  }
}
const isConst = (name) => byName.get(name) && byName.get(name).op === 'Const';
const cval = (name) => consts[name] && consts[name].v;
const short = (name) => name.replace(/^tower_0\//, '');
const code = (name) => `\`${short(name)}\``;
const attr = (n, k) => {
  const a = n.attr && n.attr[k];
  if (!a) return undefined;
  if (a.list) return a.list.i || (a.list.s || []).map((s) => Buffer.from(s, 'base64').toString());
  if (a.s !== undefined) return Buffer.from(a.s, 'base64').toString();
  if (a.b !== undefined) return a.b;
  if (a.i !== undefined) return a.i;
  return a;
};
const other = (n, x) => n.input.find((i) => i !== x);
const out = [];
const p = (s = '') => out.push(s);

// ---- op counts
const counts = {};
for (const n of nodes) counts[n.op] = (counts[n.op] || 0) + 1;
p(`### Op types (${nodes.length} nodes)`);
p();
p('| op | count |');
p('|---|---|');
for (const [op, c] of Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) p(`| ${op} | ${c} |`);
p();

// ---- what follows a node: an activation pattern, read from its consumers
function follows(n) {
  const fused = attr(n, 'fused_ops') || [];
  if (fused.includes('Relu')) return { act: 'Relu (fused)', out: n.name };
  if (fused.includes('Relu6')) return { act: 'Relu6 (fused)', out: n.name };
  const cs = consumers.get(n.name) || [];
  const add3 = cs.find((c) => c.op === 'Add' && isConst(other(c, n.name)) && cval(other(c, n.name))[0] === 3);
  const mulc = cs.find((c) => c.op === 'Mul' && isConst(other(c, n.name)));
  if (add3) {
    const r6 = (consumers.get(add3.name) || []).find((c) => c.op === 'Relu6');
    const last = r6 && (consumers.get(r6.name) || []).find((c) => c.op === 'Mul');
    if (mulc && last && last.input.includes(mulc.name)) {
      return { act: `h-swish: (x·${cval(other(mulc, n.name))[0]})·Relu6(x+3)`, out: last.name, chain: [mulc, add3, r6, last] };
    }
    if (last && isConst(other(last, r6.name))) {
      return { act: `hard sigmoid: ${cval(other(last, r6.name))[0]}·Relu6(x+3)`, out: last.name, chain: [add3, r6, last] };
    }
  }
  const sig = cs.find((c) => c.op === 'Sigmoid');
  if (sig) return { act: 'Sigmoid', out: sig.name, chain: [sig] };
  if (mulc) return { act: `×${cval(other(mulc, n.name))[0]}`, out: mulc.name, chain: [mulc] };
  return { act: 'none', out: n.name };
}

// ---- convs
const CONVS = ['_FusedConv2D', 'Conv2D', 'FusedDepthwiseConv2dNative', 'DepthwiseConv2dNative'];
const convs = nodes.filter((n) => CONVS.includes(n.op));
p(`### Convolutions, in graph order (${convs.length})`);
p();
p('Filters are HWIO (depthwise: H, W, C, 1). "bias": the fused BiasAdd operand (BN folded into it); "stride"/"pad": TF attributes (SAME pads asymmetrically at stride 2: 0 before/1 after for 3x3, 1/2 for 5x5); "after": the activation that follows, as fused or as the consumer ops spell it; "output": the node the next layer reads.');
p();
p('| # | node | op | k | in→out | stride | pad | filter | bias | after | output |');
p('|---|---|---|---|---|---|---|---|---|---|---|');
convs.forEach((n, i) => {
  const f = consts[n.input[1]];
  const dw = n.op.includes('Depthwise');
  const k = `${f.shape[0]}x${f.shape[1]}`;
  const io = dw ? `${f.shape[2]} dw` : `${f.shape[2]}→${f.shape[3]}`;
  const st = attr(n, 'strides')[1];
  const fused = attr(n, 'fused_ops') || [];
  const bias = fused.includes('BiasAdd') ? code(n.input[2]) : '—';
  const fl = follows(n);
  const opn = n.op.replace('FusedDepthwiseConv2dNative', 'FusedDepthwise').replace('DepthwiseConv2dNative', 'Depthwise');
  p(`| ${i} | ${code(n.name)} | ${opn}${dw ? '' : ''} | ${k} | ${io} | ${st} | ${attr(n, 'padding')} | ${code(n.input[1])} | ${bias} | ${fl.act} | ${fl.out === n.name ? '(same)' : code(fl.out)} |`);
});
p();

// ---- inverted-residual blocks
p('### Backbone blocks (MobileNetV3 `expanded_conv*`)');
p();
p('| block | input | expand 1x1 | dw k, stride | act | SE | project 1x1 | residual add |');
p('|---|---|---|---|---|---|---|---|');
for (let b = 0; b <= 14; b++) {
  const pre = `tower_0/MobilenetV3/expanded_conv${b ? `_${b}` : ''}/`;
  const mine = convs.filter((n) => n.name.startsWith(pre));
  const exp = mine.find((n) => n.name.includes('/expand/'));
  const dw = mine.find((n) => n.name.includes('/depthwise/'));
  const proj = mine.find((n) => n.name.includes('/project/'));
  const se = nodes.some((n) => n.name.startsWith(`${pre}squeeze_excite/`));
  const add = nodes.find((n) => n.name === `${pre}add`);
  const first = exp || dw;
  const f = (n) => consts[n.input[1]].shape;
  p(`| ${b} | ${code(first.input[0])} | ${exp ? `${f(exp)[2]}→${f(exp)[3]}` : '—'} | ${f(dw)[0]}x${f(dw)[1]}, ${attr(dw, 'strides')[1]} | ${follows(dw).act.split(':')[0]} | ${se ? 'yes' : '—'} | ${f(proj)[2]}→${f(proj)[3]} | ${add ? code(add.name) : '—'} |`);
}
p();

// ---- SE blocks
const means = nodes.filter((n) => n.op === 'Mean');
p(`### Squeeze-excite blocks (${means.length})`);
p();
p('| Mean (axes, keep_dims) | its input | squeeze conv (+bias, Relu) | excite conv | gate | Mul (gate × input) |');
p('|---|---|---|---|---|---|');
for (const m of means) {
  const sq = consumers.get(m.name).find((c) => CONVS.includes(c.op));
  const ex = consumers.get(sq.name).find((c) => CONVS.includes(c.op));
  const fl = follows(ex);
  const mul = (consumers.get(fl.out) || []).find((c) => c.op === 'Mul');
  const exf = attr(ex, 'fused_ops') || [];
  const sqf = consumers.get(m.name).length;
  p(`| ${code(m.name)} (${cval(m.input[1])}, ${attr(m, 'keep_dims')}) | ${code(m.input[0])} | ${code(sq.name)} ${consts[sq.input[1]].shape[2]}→${consts[sq.input[1]].shape[3]}, ${(attr(sq, 'fused_ops') || []).join('+')} | ${code(ex.name)} ${consts[ex.input[1]].shape[2]}→${consts[ex.input[1]].shape[3]}, ${exf.length ? exf.join('+') : 'no bias'} | ${fl.act}: ${fl.chain.map((c) => `${c.op} ${code(c.name)}`).join(' → ')} | ${code(mul.name)} = ${mul.input.map(code).join(' · ')}${sqf > 1 ? ' (Mean has other consumers)' : ''} |`);
}
p();

// ---- resizes
p('### ResizeBilinear');
p();
p('| node | input | size (constant) | align_corners | half_pixel_centers |');
p('|---|---|---|---|---|');
for (const n of nodes.filter((x) => x.op === 'ResizeBilinear')) {
  p(`| ${code(n.name)} | ${code(n.input[0])} | ${code(n.input[1])} = [${cval(n.input[1])}] | ${attr(n, 'align_corners')} | ${attr(n, 'half_pixel_centers')} |`);
}
p();

// ---- adds and concats (not those inside an activation pattern)
const inPattern = new Set();
for (const n of nodes) for (const c of follows(n).chain || []) inPattern.add(c.name);
p('### Add nodes outside activations');
p();
p('| node | inputs | then |');
p('|---|---|---|');
for (const n of nodes.filter((x) => x.op === 'Add' && !inPattern.has(x.name))) {
  p(`| ${code(n.name)} | ${n.input.map((i) => (isConst(i) ? `const ${code(i)} = ${cval(i)}` : code(i))).join(' + ')} | ${(consumers.get(n.name) || []).map((c) => `${c.op}`).join(', ')} |`);
}
p();
p('### ConcatV2');
p();
p('| node | inputs, in order | axis | then |');
p('|---|---|---|---|');
for (const n of nodes.filter((x) => x.op === 'ConcatV2')) {
  const ins = n.input.slice(0, -1), ax = n.input[n.input.length - 1];
  p(`| ${code(n.name)} | ${ins.map(code).join(', ')} | ${cval(ax)} | ${(consumers.get(n.name) || []).map((c) => `${c.op} ${code(c.name)}`).join(', ')} |`);
}
p();

// ---- the rest: every node that is not a conv, an activation piece, an SE piece or an add/concat above
p('### Everything after the two head maps (decode), in graph order');
p();
p('| op | node | inputs | attributes |');
p('|---|---|---|---|');
let on = false;
for (const n of nodes) {
  if (n.op === 'Const') continue;
  if (n.name === 'tower_0/Sigmoid') on = true;
  if (!on) continue;
  const ats = Object.entries(n.attr || {}).filter(([k]) => !['T', 'dtype', 'Tidx', 'Tshape', 'Tdim', 'Index', 'Taxis', 'Tindices', 'Tparams', 'data_format', 'explicit_paddings', '_grappler_ArithmeticOptimizer_MinimizeBroadcasts'].includes(k))
    .map(([k]) => `${k}=${JSON.stringify(attr(n, k))}`).join(' ');
  p(`| ${n.op} | ${code(n.name)} | ${n.input.map((i) => (isConst(i) ? `${code(i)} = [${cval(i)}]` : code(i))).join(', ')} | ${ats} |`);
}
p();

// ---- scalar and small constants that are not weights
p('### Small constants (not filters or biases)');
p();
p('| value (as stored) | stored as | count | example |');
p('|---|---|---|---|');
const small = {};
for (const [name, c] of Object.entries(consts)) {
  if (c.shape.length > 1 || (c.shape[0] || 1) > 4 || /biases|bn_offset|weights/.test(name)) continue;
  const key = `[${c.v}] | ${c.stored}`;
  (small[key] = small[key] || []).push(name);
}
for (const [k, names] of Object.entries(small).sort((a, b) => b[1].length - a[1].length)) p(`| ${k} | ${names.length} | ${code(names[0])} |`);

console.log(out.join('\n'));
