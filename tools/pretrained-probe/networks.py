"""The human-models networks compared here: which node gives the features,
how inputs are scaled, and the scores both probe.py and finetune.py print."""
import numpy as np, torch, torch.nn.functional as F

OUTPUTS = {'faceres': 'global_pooling/Mean', 'mobilefacenet': 'MobileFaceNet/Logits/SpatialSqueeze',
           'facemesh': 'StatefulPartitionedCall/model_1/p_re_lu_15/Relu'}  # facemesh: the trunk its heads share
NORM = {'faceres': 255.0, 'mobilefacenet': 1.0, 'facemesh': 1.0}  # input pixels scaled to 0..NORM


class Body(torch.nn.Module):
    """The graph up to its output node; a feature map is averaged over space."""

    def __init__(self, graph):
        super().__init__()
        self.graph = graph

    def forward(self, x):
        y = self.graph(x)
        return y.mean((2, 3)) if y.dim() == 4 else y


def features_input(px, size, norm):
    """uint8 NCHW crops (or float 0..255) -> the network's input at `size`."""
    x = px.float() / 255
    if x.shape[2] != size:
        x = F.interpolate(x, size=(size, size), mode='bilinear', align_corners=False)
    return x * norm


def macro_scores(pred, y):
    """Accuracy, macro-F1 and recall of class 2 (mask_weared_incorrect)."""
    cm = np.zeros((3, 3), int)
    np.add.at(cm, (y, pred), 1)
    rec = cm.diagonal() / np.maximum(cm.sum(1), 1)
    prec = cm.diagonal() / np.maximum(cm.sum(0), 1)
    f1 = 2 * rec * prec / np.maximum(rec + prec, 1e-9)
    return cm.trace() / cm.sum(), f1.mean(), rec[2]
