#!/usr/bin/env python3
"""The PyTorch peer of ferkit_bench predict_photo: what a Python user writes to find and classify the
faces of a photo. OpenCV's Python binding (python3-opencv) decodes it and runs the same
frontal-face Haar cascade with the same settings (histogram equalised, scale 1.1, 5 neighbours,
32 px smallest face); each face is cropped square with a 10 % margin (border replicated), resized
to 48, then to the model's input, normalised, and all faces go through the model (PyTorch eager,
inference_mode) in one batch; softmax. The models are bench/step_torch.py's.
Usage: predict_photo_torch.py BACKBONE SIZE PHOTO REPS THREADS -> one JSON line (median ms)."""
import json, statistics, sys, time

import cv2
import numpy as np
import torch

sys.path.insert(0, __import__("os").path.dirname(__file__))
from step_torch import Classifier  # noqa: E402

CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"


def crop_face(gray, x, y, w, h, margin=0.1, side=48):
    s = max(w, h) * (1 + 2 * margin)
    half = int(round(s / 2))
    cx, cy = x + w // 2, y + h // 2
    x0, y0, x1, y1 = cx - half, cy - half, cx + half, cy + half
    ix0, iy0, ix1, iy1 = max(x0, 0), max(y0, 0), min(x1, gray.shape[1]), min(y1, gray.shape[0])
    crop = cv2.copyMakeBorder(gray[iy0:iy1, ix0:ix1], iy0 - y0, y1 - iy1, ix0 - x0, x1 - ix1, cv2.BORDER_REPLICATE)
    return cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA if crop.shape[1] > side else cv2.INTER_LINEAR)


def main():
    name, size, photo, reps, threads = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    torch.manual_seed(0)
    model = Classifier(name).eval()
    cascade = cv2.CascadeClassifier(CASCADE)
    data = np.frombuffer(open(photo, "rb").read(), np.uint8)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)

    def predict():
        gray = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
        boxes = cascade.detectMultiScale(cv2.equalizeHist(gray), scaleFactor=1.1, minNeighbors=5, minSize=(32, 32))
        crops = [crop_face(gray, *b) for b in boxes]
        if size != 48:
            crops = [cv2.resize(c, (size, size), interpolation=cv2.INTER_LINEAR) for c in crops]
        x = torch.from_numpy(np.stack(crops)).float().div_(255).unsqueeze(1)
        if model.in_ch == 3:
            x = (x.expand(-1, 3, -1, -1) - mean) / std
        with torch.inference_mode():
            return torch.softmax(model(x), 1)

    faces = predict().shape[0]
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        predict()
        ms.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps({"tool": "pytorch", "bench": "predict_photo", "backbone": name, "input": size, "faces": faces,
                      "ms_per_photo": statistics.median(ms)}))


if __name__ == "__main__":
    main()
