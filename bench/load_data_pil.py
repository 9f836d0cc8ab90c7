"""The peer of ferkit_bench load_data: a plain Python loader of a FER+ folder, as users write it
(csv + PIL + numpy, majority labels per the FER+ protocol). Prints one JSON line."""
import csv, json, os, resource, sys, time

import numpy as np
from PIL import Image

def main(root):
    t0 = time.perf_counter()
    images = kept = 0
    for folder in ("FER2013Train", "FER2013Valid", "FER2013Test"):
        d = os.path.join(root, folder)
        if not os.path.exists(os.path.join(d, "label.csv")):
            continue
        pixels, labels = [], []
        with open(os.path.join(d, "label.csv")) as f:
            for row in csv.reader(f):
                box = [int(v) for v in row[1].strip("()").split(",")]
                img = Image.open(os.path.join(d, row[0])).convert("L")
                img = img.crop((box[0], box[1], box[0] + box[2], box[1] + box[3]))
                pixels.append(np.asarray(img, dtype=np.uint8))
                votes = np.array([int(v) for v in row[2:]], dtype=np.float64)
                votes[votes <= 1] = 0
                if votes.max() > 0.5 * votes.sum() and votes.argmax() < 8:
                    labels.append(int(votes.argmax()))
        data = np.stack(pixels)
        images += len(data)
        kept += len(labels)
    seconds = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"tool": "python-pil", "seconds": round(seconds, 3), "images": images, "kept": kept,
                      "peak_rss_mb": round(rss, 1)}))

if __name__ == "__main__":
    main(sys.argv[1])
