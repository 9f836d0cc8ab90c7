#!/usr/bin/env python3
"""Checks that the library's folders include each other only downwards, in the layer order of
docs/development.md ("How the code is laid out"), and prints the folder graph. Exit 1 on an upward include
or a cycle, naming the file and line.

usage: scripts/check_layers.py [SRC_DIR=src/ferkit] [--graph]
"""
import os
import re
import sys

# Lower layers first; a folder may include its own layer's other folders only where listed in
# SAME_LAYER_OK (none today), and any folder of a lower layer.
LAYERS = [
    ["util"],
    ["data"],
    ["models"],
    ["infer", "eval"],
    ["run"],
    ["train"],
    ["report", "serve", "dist"],
    ["api"],  # the public API (include/ferkit/) over everything below
]
LEVEL = {folder: i for i, layer in enumerate(LAYERS) for folder in layer}
INCLUDE = re.compile(r'^\s*#\s*include\s+"ferkit/([a-z_]+)/')


def edges(src):
    found = []  # (from_folder, to_folder, file, line)
    for folder in sorted(os.listdir(src)):
        path = os.path.join(src, folder)
        if not os.path.isdir(path):
            continue
        for name in sorted(os.listdir(path)):
            if not name.endswith((".h", ".cpp")):
                continue
            with open(os.path.join(path, name), encoding="utf-8") as f:
                for n, text in enumerate(f, 1):
                    m = INCLUDE.match(text)
                    if m and m.group(1) != folder:
                        found.append((folder, m.group(1), os.path.join(path, name), n))
    return found


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "src", "ferkit")
    found = edges(src)
    bad = []
    for a, b, f, n in found:
        if a not in LEVEL or b not in LEVEL:
            bad.append(f"{f}:{n}: folder '{a if a not in LEVEL else b}' has no layer in scripts/check_layers.py")
        elif LEVEL[b] >= LEVEL[a]:
            bad.append(f"{f}:{n}: {a}/ (layer {LEVEL[a]}) includes {b}/ (layer {LEVEL[b]}): includes must go to a lower layer")
    if "--graph" in sys.argv:
        pairs = sorted({(a, b) for a, b, _, _ in found})
        for a, b in pairs:
            print(f"{a} -> {b}")
    for line in bad:
        print(line)
    if bad:
        return 1
    print(f"layers: {len(found)} includes across folders, all downwards "
          f"({' <- '.join('/'.join(l) for l in LAYERS)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
