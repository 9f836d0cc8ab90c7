"""Reference values for ferkit's losses, computed with PyTorch (the test oracle).

Usage: make_loss_reference.py OUT.json
Each loss is written the way its paper's reference code (or PyTorch itself) computes it, so the
C++ test checks ferkit's one composed formula against independent implementations.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.manual_seed(0)
B, K = 12, 8
logits = torch.randn(B, K, dtype=torch.float64) * 2
labels = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 1, 3])
soft = torch.softmax(torch.randn(B, K, dtype=torch.float64) * 2, 1)
counts = torch.tensor([8733, 7526, 2466, 3514, 2567, 116, 652, 116], dtype=torch.float64)
prior = counts / counts.sum()


def normalised(w):
    return w / w.sum() * K


def focal(z, y, gamma):
    logp = F.log_softmax(z, 1).gather(1, y[:, None])[:, 0]
    return (-(1 - logp.exp()) ** gamma * logp).mean()


def ldam(z, y, max_m, s, weight=None):
    # Cao et al. (2019), LDAMLoss from the authors' code
    m = 1.0 / torch.sqrt(torch.sqrt(counts))
    m = m * (max_m / m.max())
    index = F.one_hot(y, K).bool()
    out = torch.where(index, z - m[y][:, None], z)
    return F.cross_entropy(s * out, y, weight=weight)


beta = 0.9999
cb_w = normalised((1 - beta) / (1 - beta ** counts))
inv_w = normalised(1 / counts)
ref = {
    "ce": F.cross_entropy(logits, labels),
    "ce_label_smoothing_0.1": F.cross_entropy(logits, labels, label_smoothing=0.1),
    "ce_soft": F.cross_entropy(logits, soft),
    "weighted_ce": F.cross_entropy(logits, labels, weight=inv_w),
    "cb": F.cross_entropy(logits, labels, weight=cb_w),
    "focal_gamma_2": focal(logits, labels, 2.0),
    "balanced_softmax": F.cross_entropy(logits + prior.log(), labels),
    "logit_adjusted_tau_1.5": F.cross_entropy(logits + 1.5 * prior.log(), labels),
    "ldam_0.5_s1": ldam(logits, labels, 0.5, 1.0),
    "ldam_0.5_s1_drw": ldam(logits, labels, 0.5, 1.0, weight=cb_w),
}
json.dump({"logits": logits.tolist(), "labels": labels.tolist(), "soft": soft.tolist(),
           "counts": counts.long().tolist(), "inverse_frequency_weights": inv_w.tolist(),
           "class_balanced_weights": cb_w.tolist(),
           "losses": {k: float(v) for k, v in ref.items()}}, open(sys.argv[1], "w"), indent=1)
