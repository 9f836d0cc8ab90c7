"""Oracle for the torchvision conformance test: builds a torchvision model with random weights
and random BatchNorm statistics, saves its state dict exactly as users do (torch.save of
state_dict(), zip format and legacy format) and its eval-mode logits for a fixed input.
Usage: make_torchvision_reference.py ARCH OUT_DIR [INPUT_SIZE] [WIDTH]"""
import sys

import torch
import torchvision

arch, out = sys.argv[1], sys.argv[2]
size = int(sys.argv[3]) if len(sys.argv) > 3 else 64
width = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
torch.manual_seed(0)
if arch == "mobilenet_v2":
    model = torchvision.models.mobilenet_v2(num_classes=8, width_mult=width)
else:
    model = getattr(torchvision.models, arch)(num_classes=8)
with torch.no_grad():  # make every tensor matter: random affine and statistics in every BatchNorm
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(7)
model.eval()
x = torch.randn(2, 3, size, size)
with torch.no_grad():
    logits = model(x)
torch.save(model.state_dict(), f"{out}/{arch}.pt")
torch.save(model.state_dict(), f"{out}/{arch}_legacy.pt", _use_new_zipfile_serialization=False)
x.numpy().tofile(f"{out}/{arch}_input.bin")
logits.numpy().tofile(f"{out}/{arch}_logits.bin")
