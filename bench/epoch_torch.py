#!/usr/bin/env python3
"""The PyTorch peer of one `ferkit train` epoch on a FER+ folder: a typical script. A Dataset reads
each PNG with PIL when asked, torchvision transforms do ferkit's `stable` augmentation (horizontal
flip, affine: rotation 10 degrees, shift 8 %, zoom 10 %), a DataLoader with 2 workers batches it;
the model is ferkit's small_cnn (bench/step_torch.py), AdamW at 1e-3, cross-entropy on the majority
labels with label smoothing 0.05, gradient clipping; then one pass over the validation split.
ferkit does a little more per epoch (an EMA of the weights, and a second validation pass with it).
Usage: epoch_torch.py FERPLUS_DIR THREADS -> one JSON line (seconds: the epoch and the validation)."""
import csv, json, os, resource, sys, time

import torch
import torch.nn as nn
import torchvision.transforms as T
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from step_torch import Classifier  # noqa: E402


def majority(votes):
    """FER+'s majority rule (ferplus.py, as ferkit applies it): single votes are outliers and
    dropped; the first class with the most votes must hold more than half of the rest, and be an
    emotion (not 'unknown' or 'not a face')."""
    raw = [v if v > 1 else 0 for v in votes]
    top = raw.index(max(raw))
    return top if top < 8 and raw[top] > 0.5 * sum(raw) else None


class FerPlus(torch.utils.data.Dataset):
    def __init__(self, folder, transform):
        self.items = []
        for row in csv.reader(open(os.path.join(folder, "label.csv"))):
            label = majority([int(v) for v in row[2:12]])
            if label is not None:
                self.items.append((os.path.join(folder, row[0]), label))
        self.transform = transform

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        path, label = self.items[i]
        return self.transform(Image.open(path).convert("L")), label


def main():
    root, threads = sys.argv[1], int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    train_tf = T.Compose([T.RandomHorizontalFlip(), T.RandomAffine(10, translate=(0.08, 0.08), scale=(0.9, 1.1)), T.ToTensor()])
    train = torch.utils.data.DataLoader(FerPlus(os.path.join(root, "FER2013Train"), train_tf), batch_size=64, shuffle=True,
                                        num_workers=2, drop_last=True)
    valid = torch.utils.data.DataLoader(FerPlus(os.path.join(root, "FER2013Valid"), T.ToTensor()), batch_size=256, num_workers=2)
    model = Classifier("small_cnn")
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.05)
    t0 = time.perf_counter()
    model.train()
    images = 0
    for x, y in train:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        images += len(y)
    t_train = time.perf_counter() - t0
    model.eval()
    correct = total = 0
    with torch.inference_mode():
        for x, y in valid:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": "pytorch", "bench": "epoch", "train_images": images, "train_seconds": t_train, "seconds": seconds,
                      "val_accuracy": correct / total, "peak_rss_mb_main": rss}))


if __name__ == "__main__":
    main()
