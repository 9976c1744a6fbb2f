"""A linear head on a frozen human-models network's features: how much of the
task the pretrained features carry before any fine-tuning. Logistic
regression (L-BFGS, class weights (n_max/n_k)^0.5) on the train split's
features, scored on validation, for a few weight decays.

    python3 probe.py --store STORE [--model facemesh] [--input-size 128]
"""
import argparse, os, sys
import numpy as np, torch, torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from networks import NORM, OUTPUTS, Body, features_input, macro_scores
from tfjs_graph import Graph, load_shard

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument('--store', required=True)
ap.add_argument('--model', default='faceres', choices=sorted(OUTPUTS))
ap.add_argument('--input-size', type=int, default=112)
ap.add_argument('--threads', type=int, default=2)
A = ap.parse_args()
torch.set_num_threads(A.threads)
net = Body(Graph(A.model, OUTPUTS[A.model])).eval()


def features(split):
    px, y, _ = load_shard(os.path.join(A.store, 'shards', split + '.bin'))
    with torch.no_grad():
        f = torch.cat([net(features_input(px[i:i + 128], A.input_size, NORM[A.model])) for i in range(0, len(y), 128)])
    return f, y


xtr, ytr = features('train')
xva, yva = features('val')
mu, sd = xtr.mean(0), xtr.std(0) + 1e-6
xtr, xva = (xtr - mu) / sd, (xva - mu) / sd
weight = (torch.bincount(ytr, minlength=3).max() / torch.bincount(ytr, minlength=3).float()) ** 0.5
for wd in (1e-4, 1e-3, 1e-2, 3e-2):
    head = torch.nn.Linear(xtr.shape[1], 3)
    opt = torch.optim.LBFGS(head.parameters(), max_iter=500)

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(head(xtr), ytr, weight=weight) + wd * head.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    acc, f1, rec = macro_scores(head(xva).argmax(1).numpy(), yva.numpy())
    print('%s %d px, weight decay %g: val acc %.3f macro-F1 %.3f recall incorrect %.2f'
          % (A.model, A.input_size, wd, acc, f1, rec), flush=True)
