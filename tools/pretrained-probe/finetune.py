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
from networks import NORM, OUTPUTS, Body, features_input, macro_scores
from tfjs_graph import Graph, load_shard

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
net = Body(Graph(A.model, OUTPUTS[A.model]))
with torch.no_grad():
    dim = net(torch.zeros(1, 3, A.input_size, A.input_size)).shape[1]
head = torch.nn.Linear(dim, 3)


def prep(x):
    return features_input(x, A.input_size, NORM[A.model])


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
    return macro_scores(p.argmax(1).numpy(), split[1].numpy())


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
