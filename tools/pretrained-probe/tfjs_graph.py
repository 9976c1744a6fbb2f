"""A TensorFlow.js graph model (model.json + weight shards) as a PyTorch module.

Covers the ops of human-models' faceres, mobilefacenet and facemesh: Conv2D,
DepthwiseConv2dNative and their fused forms (BiasAdd, Relu, Prelu), Relu,
Prelu, Abs, Add, Sub, Mul, Minimum, Maximum, MaxPool, Pad, Mean, Squeeze. Weights may be float32,
int32, uint8-quantised or float16. Every float weight is a trainable
parameter; `out` names the node whose value forward() returns.

    python3 tfjs_graph.py --check MODEL OUT_NODE SHARD FEATURES.f32 [--norm 255|01]
compares the first 8 crops of a maskwatch shard against features written
by features.js (TF.js itself) for the same crops.
"""
import base64, json, os, struct, sys
import numpy as np, torch, torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, 'models')


def _s(attr):
    return base64.b64decode(attr['s']).decode()


def _key(name):
    return name.replace('/', '__').replace('.', '_')


class Graph(torch.nn.Module):
    def __init__(self, name, out, models=MODELS):
        super().__init__()
        m = json.load(open(os.path.join(models, name + '.json')))
        group = m['weightsManifest'][0]
        buf = b''.join(open(os.path.join(models, p), 'rb').read() for p in group['paths'])
        pos = 0
        self.consts = {}
        self.params = torch.nn.ParameterDict()
        for w in group['weights']:
            n = int(np.prod(w['shape'])) if w['shape'] else 1
            q = w.get('quantization')
            if q and q['dtype'] == 'float16':
                a = np.frombuffer(buf, np.float16, n, pos).astype(np.float32); pos += 2 * n
            elif q:
                a = np.frombuffer(buf, np.uint8, n, pos).astype(np.float32) * q['scale'] + q['min']; pos += n
            elif w['dtype'] == 'int32':
                a = np.frombuffer(buf, np.int32, n, pos).copy(); pos += 4 * n
            else:
                a = np.frombuffer(buf, np.float32, n, pos).copy(); pos += 4 * n
            t = torch.tensor(a.reshape(w['shape']))
            if t.dtype == torch.float32 and t.numel() > 1:
                self.params[_key(w['name'])] = torch.nn.Parameter(t)
            else:
                self.consts[w['name']] = t
        if pos != len(buf):
            raise ValueError('%s: manifest covers %d of %d bytes' % (name, pos, len(buf)))
        self.out = out
        # The nodes `out` depends on, inputs before their users (the file need not list them so).
        by_name = {n['name']: n for n in m['modelTopology']['node'] if n['op'] != 'Const'}
        self.nodes, seen = [], set()

        def visit(name):
            if name in seen or name not in by_name:
                return
            seen.add(name)
            for i in by_name[name].get('input', []):
                visit(i.lstrip('^').split(':')[0])
            self.nodes.append(by_name[name])

        if out not in by_name:
            raise KeyError('%s: no node named %s' % (name, out))
        sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))
        visit(out)

    def _get(self, v, name):
        name = name.split(':')[0]
        if name in v:
            return v[name]
        if _key(name) in self.params:
            return self.params[_key(name)]
        return self.consts[name]

    def forward(self, x):  # NCHW
        v = {}
        for nd in self.nodes:
            op, a = nd['op'], nd.get('attr', {})
            ins = [i for i in nd.get('input', []) if not i.startswith('^')]
            if op == 'Placeholder':
                y = x
            elif op in ('Conv2D', '_FusedConv2D', 'DepthwiseConv2dNative', 'FusedDepthwiseConv2dNative'):
                inp, w = self._get(v, ins[0]), self._get(v, ins[1])
                stride = int(a['strides']['list']['i'][1])
                depthwise = 'Depthwise' in op
                w = w.permute(2, 3, 0, 1) if depthwise else w.permute(3, 2, 0, 1)
                if _s(a['padding']) == 'SAME':  # TensorFlow's: the extra pixel goes after
                    k, h, wd = w.shape[2], inp.shape[2], inp.shape[3]
                    ph = max((-(-h // stride) - 1) * stride + k - h, 0)
                    pw = max((-(-wd // stride) - 1) * stride + k - wd, 0)
                    inp = F.pad(inp, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
                y = F.conv2d(inp, w, stride=stride, groups=inp.shape[1] if depthwise else 1)
                for f in [base64.b64decode(s).decode() for s in a.get('fused_ops', {}).get('list', {}).get('s', [])]:
                    if f == 'BiasAdd':
                        y = y + self._get(v, ins[2]).view(1, -1, 1, 1)
                    elif f == 'Relu':
                        y = F.relu(y)
                    elif f == 'Prelu':
                        alpha = self._get(v, ins[3]).view(1, -1, 1, 1)
                        y = F.relu(y) + alpha * (y - y.abs()) * 0.5
                    else:
                        raise NotImplementedError('%s: fused op %s' % (nd['name'], f))
            elif op == 'Relu':
                y = F.relu(self._get(v, ins[0]))
            elif op == 'Prelu':
                p, alpha = self._get(v, ins[0]), self._get(v, ins[1]).reshape(1, -1, 1, 1)
                y = F.relu(p) + alpha * (p - p.abs()) * 0.5
            elif op == 'MaxPool':
                k, st = int(a['ksize']['list']['i'][1]), int(a['strides']['list']['i'][1])
                if _s(a['padding']) != 'VALID':
                    raise NotImplementedError('%s: MaxPool padding %s' % (nd['name'], _s(a['padding'])))
                y = F.max_pool2d(self._get(v, ins[0]), k, st)
            elif op == 'Pad':
                pads = self._get(v, ins[1]).reshape(4, 2).tolist()  # NHWC: [[n0,n1],[h0,h1],[w0,w1],[c0,c1]]
                y = F.pad(self._get(v, ins[0]), pads[2] + pads[1] + pads[3])
            elif op == 'Abs':
                y = self._get(v, ins[0]).abs()
            elif op in ('Add', 'AddV2', 'Sub', 'Mul', 'Minimum', 'Maximum'):
                p, q = self._get(v, ins[0]), self._get(v, ins[1])
                if p.dim() == 1 and q.dim() == 4: p = p.view(1, -1, 1, 1)
                if q.dim() == 1 and p.dim() == 4: q = q.view(1, -1, 1, 1)
                y = {'Add': torch.add, 'AddV2': torch.add, 'Sub': torch.sub, 'Mul': torch.mul,
                     'Minimum': torch.minimum, 'Maximum': torch.maximum}[op](p, q)
            elif op == 'Mean':
                y = self._get(v, ins[0]).mean((2, 3))
            elif op == 'Squeeze':
                y = self._get(v, ins[0]).flatten(1)
            else:
                raise NotImplementedError('%s: op %s' % (nd['name'], op))
            v[nd['name']] = y
            if nd['name'] == self.out:
                return y
        raise KeyError('no node named ' + self.out)


def load_shard(path):
    """A maskwatch shard: (uint8 NCHW crops, labels, face sizes in px)."""
    b = open(path, 'rb').read()
    if b[:8] != b'MWSHARD1':
        raise ValueError(path + ': not a maskwatch shard')
    n, size = struct.unpack_from('<II', b, 8)
    pos, labels, faces = 16, [], []
    for _ in range(n):
        label, face, name_len = struct.unpack_from('<BHH', b, pos)
        pos += 5 + name_len
        labels.append(label); faces.append(face)
    px = np.frombuffer(b, np.uint8, n * size * size * 3, pos).reshape(n, size, size, 3)
    return torch.tensor(px.copy()).permute(0, 3, 1, 2).contiguous(), torch.tensor(labels), np.array(faces)


def resize_like_tfjs(x, size):
    """tf.image.resizeBilinear(x, [size, size], alignCorners=false): source = dst * in/out."""
    n = x.shape[2]
    s = torch.arange(size, dtype=torch.float32) * n / size
    i0 = s.floor().long(); f = s - i0; i1 = (i0 + 1).clamp(max=n - 1)
    x = x[:, :, i0, :] * (1 - f).view(1, 1, -1, 1) + x[:, :, i1, :] * f.view(1, 1, -1, 1)
    return x[:, :, :, i0] * (1 - f).view(1, 1, 1, -1) + x[:, :, :, i1] * f.view(1, 1, 1, -1)


if __name__ == '__main__' and len(sys.argv) >= 6 and sys.argv[1] == '--check':
    model, out, shard, feats = sys.argv[2:6]
    scale = 255.0 if '--norm' in sys.argv and sys.argv[sys.argv.index('--norm') + 1] == '255' else 1.0
    g = Graph(model, out).eval()
    px, _, _ = load_shard(shard)
    x = px[:8].float() / 255 * scale
    nodes = json.load(open(os.path.join(MODELS, model + '.json')))['modelTopology']['node']
    size = next(n for n in nodes if n['op'] == 'Placeholder')['attr']['shape']['shape']['dim'][1]['size']
    x = resize_like_tfjs(x, int(size)) if int(size) != x.shape[2] else x
    with torch.no_grad():
        y = g(x)
        y = (y.permute(0, 2, 3, 1) if y.dim() == 4 else y).flatten(1).numpy()  # TF.js writes NHWC
    ref = np.fromfile(feats, np.float32)[:y.size].reshape(y.shape)
    print('%s: max |PyTorch - TF.js| = %.3g (largest value %.3g)' % (model, np.abs(y - ref).max(), np.abs(ref).max()))
