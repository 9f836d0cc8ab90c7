#!/usr/bin/env python3
"""The PyTorch peer of ferkit_bench step: the same models (ferkit's small_cnn written out in PyTorch;
torchvision's resnet18, resnet50 and mobilenet_v2 with ferkit's head: global average pooling and
one linear layer to 8 classes), the same batch, threads and in-memory random data.
Measures: training step (forward + cross-entropy + backward + SGD momentum step) images/s,
batched inference images/s (eval mode, inference_mode), batch-1 latency (median), peak RSS.
Usage: step_torch.py BACKBONE SIZE BATCH SECONDS THREADS [train] -> one JSON line (train: the
training step only)."""
import json, os, resource, statistics, sys, time

import torch
import torch.nn as nn
import torchvision


def small_cnn(width=0.5, in_ch=1):
    ch = lambda b: max(8, round(b * width))
    c1, c2, c3, c4 = ch(32), ch(64), ch(128), ch(256)

    def block(i, o, n, pool):
        layers = []
        for k in range(n):
            layers += [nn.Conv2d(i if k == 0 else o, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]
        if pool:
            layers.append(nn.MaxPool2d(2))
        return layers

    return nn.Sequential(*block(in_ch, c1, 1, False), *block(c1, c1, 1, True), *block(c1, c2, 2, True),
                         *block(c2, c3, 2, True), *block(c3, c4, 2, True)), c4


class Classifier(nn.Module):
    """ferkit's FerModel: backbone features, global average pooling, a linear head."""

    def __init__(self, name):
        super().__init__()
        if name == "small_cnn":
            self.features, f = small_cnn()
            self.in_ch = 1
        elif name in ("resnet18", "resnet50"):
            net = getattr(torchvision.models, name)()
            f = net.fc.in_features
            net.fc = nn.Identity()
            net.avgpool = nn.Identity()
            self.features = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool, net.layer1, net.layer2, net.layer3, net.layer4)
            self.in_ch = 3
        elif name == "mobilenet_v2":
            self.features, f = torchvision.models.mobilenet_v2().features, 1280
            self.in_ch = 3
        else:
            raise SystemExit(f"step_torch.py: no PyTorch peer for {name}")
        self.head = nn.Linear(f, 8)

    def forward(self, x):
        return self.head(self.features(x).mean((2, 3)))


def rate(step, batch, seconds):
    step()
    t0, images = time.perf_counter(), 0
    while True:
        step()
        images += batch
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds and images >= 2 * batch:
            return images / elapsed


def main():
    name, size, batch, seconds, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Classifier(name)
    x = torch.randn(batch, model.in_ch, size, size)
    y = torch.randint(0, 8, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def train_step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    train = rate(train_step, batch, seconds)
    # The tool's name says whether glibc's allocator was tuned (GLIBC_TUNABLES), as ferkit tunes its own.
    tool = "pytorch+tunables" if os.environ.get("GLIBC_TUNABLES") else "pytorch"
    if len(sys.argv) > 6 and sys.argv[6] == "train":
        print(json.dumps({"tool": tool, "backbone": name, "input": size, "batch": batch, "threads": threads, "train_img_s": train}))
        return
    model.eval()
    with torch.inference_mode():
        infer = rate(lambda: model(x), batch, seconds)
        one = x[:1].clone()
        for _ in range(5):
            model(one)
        lat = []
        t_end = time.perf_counter() + seconds
        while time.perf_counter() < t_end or len(lat) < 20:
            t0 = time.perf_counter()
            model(one)
            lat.append((time.perf_counter() - t0) * 1e3)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"tool": tool, "backbone": name, "input": size, "batch": batch, "threads": threads,
                      "train_img_s": train, "infer_img_s": infer, "latency1_ms": statistics.median(lat), "peak_rss_mb": rss}))


if __name__ == "__main__":
    main()
