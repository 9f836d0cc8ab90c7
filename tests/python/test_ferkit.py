"""The Python module against the CLI on the same inputs: predict (a photo, face crops), train and
evaluate agree to 1e-6; prediction and training release the GIL (another Python thread runs
while they work); errors are ferkit.Error; the README's Python snippet runs.

usage: test_ferkit.py FERKIT_PROGRAM  (PYTHONPATH must hold the built module: build/python)
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import numpy as np

import ferkit

FERKIT = None  # the CLI, from argv
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MESSI = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"


def cli(*args):
    r = subprocess.run([FERKIT, "--threads", "1", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise AssertionError(f"ferkit {' '.join(args)} failed ({r.returncode}): {r.stderr[-2000:]}")
    return r.stdout


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class Activity:
    """A Python thread that notes the time as fast as it can: what it noted while a call ran
    shows whether the call let go of the GIL."""

    def __init__(self):
        self.times = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.done.is_set():
            self.times.append(time.perf_counter())

    def __enter__(self):
        self.thread.start()
        time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()

    def during(self, t0, t1):
        """Notes made in the middle half of [t0, t1] (away from the call's entry and exit)."""
        a, b = t0 + 0.25 * (t1 - t0), t1 - 0.25 * (t1 - t0)
        return sum(1 for t in self.times if a <= t <= b)


def write_pgm(path, image):
    h, w = image.shape
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (w, h) + image.tobytes())


class Predict(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = ferkit.Model(threads=1)

    def assert_same_faces(self, faces, expected):
        self.assertEqual(len(faces), len(expected))
        for f, e in zip(faces, expected):
            self.assertEqual(f["box"], e["box"])
            self.assertEqual(f["emotion"], e["emotion"])
            self.assertEqual(set(f["probabilities"]), set(e["probabilities"]))
            for name, p in e["probabilities"].items():
                self.assertAlmostEqual(f["probabilities"][name], p, delta=1e-6)

    @unittest.skipUnless(os.path.exists(MESSI), "needs Debian's opencv-doc (messi5.jpg)")
    def test_a_photo_as_the_cli_predicts_it(self):
        expected = json_lines(cli("predict", "--json", MESSI))[0]
        self.assertGreater(len(expected["faces"]), 0)
        self.assert_same_faces(self.model.predict(MESSI), expected["faces"])
        with open(MESSI, "rb") as f:
            self.assert_same_faces(self.model.predict(f.read()), expected["faces"])
        import cv2
        gray = cv2.imread(MESSI, cv2.IMREAD_GRAYSCALE)  # the CLI decodes to gray as this does
        self.assert_same_faces(self.model.predict(gray), expected["faces"])
        bgr = cv2.imread(MESSI)
        by_bgr = self.model.predict(bgr)
        self.assertEqual(by_bgr, self.model.predict(np.ascontiguousarray(bgr[:, :, ::-1]), channels="rgb"))

    def test_face_crops_as_the_cli_predicts_them_without_a_detector(self):
        rng = np.random.default_rng(7)
        with tempfile.TemporaryDirectory() as tmp:
            for side in (48, 57):
                crops = rng.integers(0, 256, size=(6, side, side), dtype=np.uint8)
                files = []
                for i, crop in enumerate(crops):
                    files.append(os.path.join(tmp, f"crop{side}_{i}.pgm"))
                    write_pgm(files[-1], crop)
                expected = json_lines(cli("predict", "--json", "--detector", "none", *files))
                self.assertEqual([e["source"] for e in expected], files)
                probs = self.model.predict_batch(crops)
                self.assertEqual(probs.shape, (6, len(self.model.classes)))
                self.assertEqual(probs.dtype, np.float32)
                for row, e in zip(probs, expected):
                    self.assertEqual(len(e["faces"]), 1)
                    for k, name in enumerate(self.model.classes):
                        self.assertAlmostEqual(float(row[k]), e["faces"][0]["probabilities"][name], delta=1e-6)

    def test_prediction_releases_the_gil(self):
        crops = np.random.default_rng(1).integers(0, 256, size=(6000, 48, 48), dtype=np.uint8)
        with Activity() as activity:
            t0 = time.perf_counter()
            self.model.predict_batch(crops)
            t1 = time.perf_counter()
        self.assertGreater(t1 - t0, 0.01)
        self.assertGreater(activity.during(t0, t1), 100, f"no other Python thread ran during {t1 - t0:.2f} s of prediction")

    def test_errors(self):
        with self.assertRaisesRegex(ferkit.Error, "no-such-model"):
            ferkit.Model("no-such-model")
        with self.assertRaisesRegex(ferkit.Error, "not an image"):
            self.model.predict(b"not an image")
        with self.assertRaisesRegex(ferkit.Error, "N x H x W"):
            self.model.predict_batch(np.zeros((4, 4), dtype=np.uint8))
        with self.assertRaises(ferkit.Error):
            self.model.predict("/nonexistent/face.png")
        self.assertTrue(issubclass(ferkit.InputError, ferkit.Error))
        self.assertTrue(issubclass(ferkit.Error, RuntimeError))

    def test_arrays_that_are_not_uint8_pixels_are_refused(self):
        # Reliability round 2, items 13 and 15: no silent cast to black, no raw OpenCV error.
        for bad in (np.full((48, 48), 0.5), np.full((48, 48), np.nan, dtype=np.float32), np.full((48, 48), 1000.0)):
            with self.assertRaisesRegex(ferkit.Error, "uint8 numpy array .0-255., not (float64|float32)"):
                self.model.predict(bad)
        with self.assertRaisesRegex(ferkit.Error, "uint8"):
            self.model.predict_batch(np.zeros((2, 48, 48), dtype=np.float32))
        with self.assertRaisesRegex(ferkit.Error, "larger than the limit"):
            self.model.predict(np.lib.stride_tricks.as_strided(np.zeros(1, dtype=np.uint8), shape=(1, 200_000_000), strides=(0, 0)))
        with self.assertRaisesRegex(ferkit.Error, "NUL byte"):
            self.model.predict("a\0b")
        with self.assertRaisesRegex(ferkit.Error, "not a regular file"):
            self.model.predict("/dev/zero")


class TrainAndEvaluate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = os.path.join(cls.tmp.name, "data")
        cli("synth", "--out", cls.data, "--scale", "0.1", "--seed", "4")

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def config(self, out):
        return {"data": self.data, "out": os.path.join(self.tmp.name, out), "epochs": 2, "width": 0.25, "workers": 1}

    def test_train_agrees_with_the_cli_and_releases_the_gil(self):
        cli("train", "--data", self.data, "--out", os.path.join(self.tmp.name, "by_cli"), "--epochs", "2", "--width", "0.25",
            "--workers", "1")
        with Activity() as activity:
            t0 = time.perf_counter()
            summary = ferkit.train(self.config("by_python"), threads=1)
            t1 = time.perf_counter()
        self.assertGreater(activity.during(t0, t1), 100, "no other Python thread ran during training")
        by_cli = ferkit.read_run_summary(os.path.join(self.tmp.name, "by_cli"))
        self.assertEqual(summary, ferkit.read_run_summary(summary["run"]))
        self.assertEqual(summary["epochs"], by_cli["epochs"])
        self.assertEqual(summary["best_epoch"], by_cli["best_epoch"])
        for key in ("accuracy", "balanced_accuracy", "macro_f1", "loss"):
            self.assertAlmostEqual(summary["best_val"][key], by_cli["best_val"][key], delta=1e-6)

        def columns(run):  # metrics.csv without its timing column
            with open(os.path.join(self.tmp.name, run, "metrics.csv")) as f:
                rows = [line.strip().split(",") for line in f]
            drop = rows[0].index("seconds")
            return [[v for i, v in enumerate(r) if i != drop] for r in rows]

        self.assertEqual(columns("by_python"), columns("by_cli"))

    def test_progress_and_an_exception_that_stops_training(self):
        seen = []

        def progress(p):
            seen.append(p)
            if p["epoch"] == 2 and p["step"] == 1 and not p["validated"]:
                raise ValueError("enough")

        with self.assertRaisesRegex(ValueError, "enough"):
            ferkit.train(self.config("stopped"), progress=progress, threads=1)
        steps = seen[0]["steps"]
        self.assertEqual([p["step"] for p in seen[:steps]], list(range(1, steps + 1)))
        self.assertTrue(seen[steps]["validated"])
        self.assertIn("val_balanced_accuracy", seen[steps])
        self.assertEqual(seen[-1]["epoch"], 2)
        # the first epoch's checkpoint stands: resuming finishes the run
        summary = ferkit.train(self.config("stopped"), resume=True, threads=1)
        self.assertEqual(summary["epochs"], 2)
        with self.assertRaisesRegex(ferkit.Error, "bad value 'ten' for epochs"):
            ferkit.train({**self.config("bad"), "epochs": "ten"})

    def test_evaluate_agrees_with_the_cli(self):
        args = ("--model", "ferplus-small", "--data", self.data, "--split", "valid", "--exclude-copies-of", "train",
                "--bootstrap", "100")
        expected = json.loads(cli("eval", "--json", *args))
        got = ferkit.evaluate("ferplus-small", self.data, split="valid", exclude_copies_of="train", bootstrap=100, threads=1)
        for part in ("metrics",):
            for key in ("accuracy", "balanced_accuracy", "macro_f1", "loss"):
                self.assertAlmostEqual(got[part][key], expected[part][key], delta=1e-6)
        self.assertEqual(got["metrics"]["count"], expected["metrics"]["count"])
        self.assertIn("without_copies", got)
        self.assertAlmostEqual(got["without_copies"]["metrics"]["accuracy"], expected["without_copies"]["metrics"]["accuracy"],
                               delta=1e-6)
        with self.assertRaisesRegex(ferkit.Error, "missing"):
            ferkit.evaluate("ferplus-small", os.path.join(self.tmp.name, "missing"))


class ReadmeSnippet(unittest.TestCase):
    @unittest.skipUnless(os.path.exists(MESSI), "needs Debian's opencv-doc (messi5.jpg)")
    def test_the_readme_python_snippet_runs(self):
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        section = readme[readme.index("## Using ferkit from Python"):]
        snippet = re.search(r"```python\n(.*?)```", section, re.S).group(1)
        with tempfile.TemporaryDirectory() as tmp:
            photo = os.path.join(tmp, "photo.jpg")
            os.symlink(MESSI, photo)
            env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.abspath(ferkit.__file__)))
            r = subprocess.run([sys.executable, "-c", snippet], cwd=tmp, capture_output=True, text=True, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"(neutral|happiness|surprise|sadness|anger|disgust|fear|contempt) [01]\.\d{3} \{")


if __name__ == "__main__":
    FERKIT = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
