"""Fine-tunes a human-models face network on maskwatch shards, as
`maskwatch train --arch face-resnet` does for face-api's: a new linear head
at --lr, the pretrained body at --lr * --body-lr-scale, AdamW, warm-up then
cosine decay, balanced sampler, label smoothing 0.05, flips, scale/shift and
down-up sampling; keeps the epoch with the best validation macro-F1 and
reports the test split once with --test.

    python3 finetune.py --store STORE [--model faceres] [--test]
"""
import argparse, math, os, sys, time
import numpy as np, torch, torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tfjs_graph import Graph, load_shard

OUTPUTS = {'faceres': 'global_pooling/Mean', 'mobilefacenet': 'MobileFaceNet/Logits/SpatialSqueeze',
           'facemesh': 'StatefulPartitionedCall/model_1/p_re_lu_15/Relu'}  # facemesh: the trunk its heads share
NORM = {'faceres': 255.0, 'mobilefacenet': 1.0, 'facemesh': 1.0}  # input pixels scaled to 0..NORM
LABEL_SMOOTHING, WARMUP_FRACTION, BATCH, EVAL_BATCH = 0.05, 0.05, 64, 128

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument('--store', required=True, help='a maskwatch store with prepared shards')
ap.add_argument('--model', default='faceres', choices=sorted(OUTPUTS))
ap.add_argument('--input-size', type=int, default=112)
ap.add_argument('--epochs', type=int, default=12)
ap.add_argument('--lr', type=float, default=2e-3)
ap.add_argument('--body-lr-scale', type=float, default=0.05)
ap.add_argument('--weight-decay', type=float, default=0.01)
ap.add_argument('--seed', type=int, default=0)
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--test', action='store_true', help='report the test split once, with the chosen epoch')
A = ap.parse_args()
torch.manual_seed(A.seed)
torch.set_num_threads(A.threads)

shards = os.path.join(A.store, 'shards')
train, val = load_shard(os.path.join(shards, 'train.bin')), load_shard(os.path.join(shards, 'val.bin'))
class Body(torch.nn.Module):
    """The graph up to its output node; a feature map is averaged over space."""

    def __init__(self, graph):
        super().__init__()
        self.graph = graph

    def forward(self, x):
        y = self.graph(x)
        return y.mean((2, 3)) if y.dim() == 4 else y


net = Body(Graph(A.model, OUTPUTS[A.model]))
with torch.no_grad():
    dim = net(torch.zeros(1, 3, A.input_size, A.input_size)).shape[1]
head = torch.nn.Linear(dim, 3)


def prep(x):
    x = x.float() / 255
    if x.shape[2] != A.input_size:
        x = F.interpolate(x, size=(A.input_size, A.input_size), mode='bilinear', align_corners=False)
    return x * NORM[A.model]


def augment(x):
    n = x.shape[0]
    x = x.float()
    flip = torch.rand(n) < 0.5
    x[flip] = x[flip].flip(3)
    theta = torch.zeros(n, 2, 3)
    s = 1 + (torch.rand(n) * 0.2 - 0.1)
    theta[:, 0, 0] = s; theta[:, 1, 1] = s
    theta[:, :, 2] = (torch.rand(n, 2) - 0.5) * 0.16
    x = F.grid_sample(x, F.affine_grid(theta, x.shape, align_corners=False), padding_mode='border', align_corners=False)
    low = torch.nonzero(torch.rand(n) < 0.5).flatten()
    if len(low):
        r = int(torch.randint(12, 48, (1,)))
        small = F.interpolate(x[low], size=(r, r), mode='area')
        x[low] = F.interpolate(small, size=x.shape[2:], mode='bilinear', align_corners=False)
    return x.clamp(0, 255)


def evaluate(split):
    net.eval()
    with torch.no_grad():
        p = torch.cat([head(net(prep(split[0][i:i + EVAL_BATCH]))) for i in range(0, len(split[1]), EVAL_BATCH)])
    p, y = p.argmax(1).numpy(), split[1].numpy()
    cm = np.zeros((3, 3), int)
    np.add.at(cm, (y, p), 1)
    rec = cm.diagonal() / np.maximum(cm.sum(1), 1)
    prec = cm.diagonal() / np.maximum(cm.sum(0), 1)
    f1 = 2 * rec * prec / np.maximum(rec + prec, 1e-9)
    return cm.trace() / cm.sum(), f1.mean(), rec[2]


opt = torch.optim.AdamW([{'params': net.parameters(), 'lr': A.lr * A.body_lr_scale},
                         {'params': head.parameters(), 'lr': A.lr}], weight_decay=A.weight_decay)
base = [g['lr'] for g in opt.param_groups]
y_train = train[1]
draw = (1.0 / torch.bincount(y_train, minlength=3).float())[y_train]  # every class equally often
n = len(y_train)
steps, step, best, t0 = A.epochs * math.ceil(n / BATCH), 0, None, time.time()
for epoch in range(1, A.epochs + 1):
    net.train()
    order = torch.multinomial(draw, n, replacement=True)
    for i in range(0, n, BATCH):
        idx = order[i:i + BATCH]
        warm = steps * WARMUP_FRACTION
        f = step / warm if step < warm else 0.5 * (1 + math.cos(math.pi * (step - warm) / (steps - warm)))
        for g, lr in zip(opt.param_groups, base):
            g['lr'] = lr * f
        loss = F.cross_entropy(head(net(prep(augment(train[0][idx])))), y_train[idx], label_smoothing=LABEL_SMOOTHING)
        opt.zero_grad(); loss.backward(); opt.step(); step += 1
    acc, f1, rec = evaluate(val)
    mark = best is None or f1 > best[0]
    if mark:
        best = (f1, epoch, acc, rec, {k: v.clone() for k, v in net.state_dict().items()},
                {k: v.clone() for k, v in head.state_dict().items()})
    print('epoch %2d  val acc %.4f macro-F1 %.4f recall incorrect %.2f  %4.0f s%s'
          % (epoch, acc, f1, rec, time.time() - t0, '  *best' if mark else ''), flush=True)
print('best epoch %d: val acc %.4f macro-F1 %.4f recall incorrect %.2f' % (best[1], best[2], best[0], best[3]))
if A.test:
    net.load_state_dict(best[4]); head.load_state_dict(best[5])
    acc, f1, rec = evaluate(load_shard(os.path.join(shards, 'test.bin')))
    print('test acc %.4f macro-F1 %.4f recall incorrect %.2f' % (acc, f1, rec))
