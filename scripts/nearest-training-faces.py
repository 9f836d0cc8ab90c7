#!/usr/bin/python3
"""Which FER+ training faces a model thinks a development set's failures look like.

For a small_cnn bundle (one model, the default depth), the faces of a class-folder development set
(e.g. ../shared/data/ckplus-posed) are embedded with the network's pooled features, and for the
faces of each class asked for, right and wrong apart, the 20 nearest FER2013Train faces (cosine)
are summarised: the mean of their crowd votes and their majority labels. With --montage, a picture of
the first failures (left column) beside their 8 nearest training faces, for looking at, not for the
repository (the images are not ours to copy).

  /usr/bin/python3 scripts/nearest-training-faces.py MODEL [DEVSET] [CLASSES] \
      [--ferplus ../shared/data/ferplus] [--montage /tmp/anger.png]

  MODEL a small_cnn bundle (models/ferplus-small.ferkit, RUN/model.ferkit); DEVSET a class-folder
  set (default ../shared/data/ckplus-posed); CLASSES comma-separated (default anger,fear,contempt).

It rebuilds the network in PyTorch (bench/step_torch.py's small_cnn, the benchmarks' peer) from the
bundle's tensors and checks itself: the 6-class accuracy it prints must match `ferkit eval`'s.
"""
import argparse, collections, csv, glob, os, sys

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from step_torch import small_cnn  # noqa: E402

NAMES = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]


def load(bundle):
    """The network of a small_cnn bundle, its features and head apart, with the stored adjustment."""
    try:
        jm = torch.jit.load(bundle)
    except Exception as e:  # a missing file, an ensemble or another backbone
        raise SystemExit(f"{bundle}: not a ferkit model bundle ({e})")
    sd = {n[len("model."):]: t for n, t in list(jm.named_parameters()) + list(jm.named_buffers()) if n.startswith("model.")}
    if "backbone.stem.0.weight" not in sd:
        raise SystemExit(f"{bundle}: not a single small_cnn model (ensembles and other backbones are not supported)")
    width = sd["backbone.stem.0.weight"].shape[0] / 32
    feats, _ = small_cnn(width)
    layers = [m for m in feats if isinstance(m, (nn.Conv2d, nn.BatchNorm2d))]
    prefixes = [k[: -len(".weight")] for k in sd if k.startswith("backbone.") and k.endswith(".weight")]
    if len(prefixes) != len(layers):
        raise SystemExit(f"{bundle}: {len(prefixes)} backbone layers, small_cnn of the default depth has {len(layers)}")
    for p, m in zip(prefixes, layers):
        if tuple(sd[p + ".weight"].shape) != tuple(m.weight.shape):
            raise SystemExit(f"{bundle}: {p} has shape {tuple(sd[p + '.weight'].shape)}, small_cnn at width {width} wants "
                             f"{tuple(m.weight.shape)}")
        m.weight.data = sd[p + ".weight"].clone()
        if isinstance(m, nn.BatchNorm2d):
            m.bias.data = sd[p + ".bias"].clone()
            m.running_mean, m.running_var = sd[p + ".running_mean"].clone(), sd[p + ".running_var"].clone()
    heads = [k for k in sd if k.startswith("head.") and k.endswith(".weight")]
    if heads != ["head.0.weight"] or sd["head.0.weight"].shape[0] != len(NAMES):
        raise SystemExit(f"{bundle}: only a linear head of {len(NAMES)} classes is supported (found {heads})")
    head = nn.Linear(sd["head.0.weight"].shape[1], len(NAMES))
    head.weight.data, head.bias.data = sd["head.0.weight"], sd["head.0.bias"]
    adjust = sd.get("logit_adjustment", torch.zeros(len(NAMES)))
    return feats.eval(), head, adjust


def embed(feats, head, adjust, images):
    out = []
    with torch.no_grad():
        for i in range(0, len(images), 512):
            x = torch.from_numpy(np.stack(images[i:i + 512])).float().unsqueeze(1) / 255.0
            out.append(feats(x).mean((2, 3)))
    f = torch.cat(out)
    return f, (head(f) + adjust).argmax(1).numpy()


def gray(path, side=48):
    """A face as the network takes it: gray, side x side (other sizes resized, as `ferkit eval --resize`)."""
    image = Image.open(path).convert("L")
    if image.size != (side, side):
        # area averaging when shrinking, bilinear when growing: what ferkit's decoder does (OpenCV INTER_AREA)
        image = image.resize((side, side), Image.BOX if image.size[0] > side else Image.BILINEAR)
    return np.array(image)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bundle")
    ap.add_argument("--ferplus", default="../shared/data/ferplus")
    ap.add_argument("devset", nargs="?", default="../shared/data/ckplus-posed")
    ap.add_argument("classes", nargs="?", default="anger,fear,contempt")
    ap.add_argument("--neighbours", type=int, default=20)
    ap.add_argument("--montage")
    a = ap.parse_args()
    torch.set_num_threads(1)
    feats, head, adjust = load(a.bundle)

    train_dir = os.path.join(a.ferplus, "FER2013Train")
    files, votes = [], []
    with open(os.path.join(train_dir, "label.csv")) as f:
        for n, row in enumerate(csv.reader(f), 1):
            v = np.array([int(x) for x in row[2:10]], dtype=float)
            if v.sum() > 0:
                files.append(os.path.join(train_dir, row[0]))
                votes.append(v / v.sum())
    votes = np.array(votes)
    dev, truth = [], []
    for k, name in enumerate(NAMES):
        for p in sorted(sum((glob.glob(os.path.join(a.devset, "valid", name, pattern)) for pattern in ("*.png", "*.jpg", "*.jpeg")), [])):
            dev.append(p)
            truth.append(k)
    if not dev:
        raise SystemExit(f"{a.devset}: no valid/<emotion>/*.png or *.jpg")
    truth = np.array(truth)

    f_train, _ = embed(feats, head, adjust, [gray(p) for p in files])
    f_dev, pred = embed(feats, head, adjust, [gray(p) for p in dev])
    six = np.isin(truth, [1, 2, 3, 4, 5, 6])
    print(f"{a.devset}: 6-class accuracy {100 * (pred[six] == truth[six]).mean():.1f} % (must match ferkit eval)")
    sim = nn.functional.normalize(f_dev, dim=1) @ nn.functional.normalize(f_train, dim=1).T
    nearest = sim.topk(a.neighbours, dim=1).indices.numpy()

    for name in a.classes.split(","):
        k = NAMES.index(name)
        for group, mask in (("right", (truth == k) & (pred == k)), ("wrong", (truth == k) & (pred != k))):
            idx = np.where(mask)[0]
            if len(idx) == 0:
                continue
            nb = nearest[idx].reshape(-1)
            mean = votes[nb].mean(0)
            called = collections.Counter(NAMES[j] for j in pred[idx])
            majority = collections.Counter(NAMES[j] for j in votes[nb].argmax(1))
            print(f"{name}, {group} ({len(idx)}): called {dict(called.most_common())}")
            print(f"  {a.neighbours} nearest training faces: mean crowd votes "
                  + ", ".join(f"{NAMES[j]} {100 * mean[j]:.0f} %" for j in np.argsort(-mean) if mean[j] >= 0.02)
                  + f"; majority labels {dict(majority.most_common(4))}")

    if a.montage:
        k = NAMES.index(a.classes.split(",")[0])
        wrong = np.where((truth == k) & (pred != k))[0][:8]
        side = 96
        sheet = Image.new("L", (side * 9, side * max(1, len(wrong))), 255)
        for r, i in enumerate(wrong):
            sheet.paste(Image.open(dev[i]).convert("L").resize((side, side)), (0, r * side))
            for c, j in enumerate(nearest[i][:8]):
                sheet.paste(Image.open(files[j]).convert("L").resize((side, side)), ((c + 1) * side, r * side))
        sheet.save(a.montage)
        print(f"montage: {a.montage}")


if __name__ == "__main__":
    main()
