// Reference outputs of face-api's tiny face detector, made by the npm package itself
// (@vladmandic/face-api on TensorFlow.js's plain-JavaScript CPU backend), for ferkit's conformance
// test (tests/infer/test_tiny_face_detector.cpp). Run through make-reference.sh, which installs the
// packages into a scratch folder.
//
//   node tiny_face_detector.js WEIGHTS_DIR OUT.json [PHOTO.jpg ...]
//
// Two kinds of input:
// - a 416x416 pattern computed from integers (the C++ test computes the same pixels), whose whole
//   raw output grid (13x13x25) is stored: it checks every layer and weight;
// - photos as 8-bit gray PGM files (make-reference.sh writes them with OpenCV, so both sides see the
//   same pixels), replicated to three channels as ferkit's detector does: the detections (box in
//   pixels, score) at input sizes 416 and 608, score threshold 0.3, are stored.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const { pattern } = require('./pattern');

function grayPhoto(file) {
  const bytes = fs.readFileSync(file);
  const header = bytes.toString('latin1', 0, 64).match(/^P5\s+(\d+)\s+(\d+)\s+255\s/);
  if (!header) throw new Error(`${file}: not an 8-bit binary PGM`);
  const [width, height] = [Number(header[1]), Number(header[2])];
  const pixels = bytes.subarray(header[0].length);
  const v = new Int32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) { v[3 * i] = pixels[i]; v[3 * i + 1] = pixels[i]; v[3 * i + 2] = pixels[i]; }
  return { tensor: tf.tensor3d(v, [height, width, 3], 'int32'), width, height };
}

async function main() {
  const [weightsDir, outFile, ...photos] = process.argv.slice(2);
  await tf.setBackend('cpu');
  await tf.ready();
  await faceapi.nets.tinyFaceDetector.loadFromDisk(weightsDir);
  const net = faceapi.nets.tinyFaceDetector;
  const out = { package: '@vladmandic/face-api 1.7.15', backend: tf.getBackend(), tfjs: tf.version.tfjs };

  const input = pattern(416);
  const raw = await net.forward(input, 416);
  out.pattern = { side: 416, formula: '(x*7 + y*13 + c*29 + ((x*y) % 17)*5) % 256', shape: raw.shape,
    values: Array.from(await raw.data()).map((x) => Number(x.toPrecision(7))) };

  out.photos = [];
  for (const file of photos) {
    const p = grayPhoto(file);
    for (const inputSize of [416, 608]) {
      const found = await net.locateFaces(p.tensor, new faceapi.TinyFaceDetectorOptions({ inputSize, scoreThreshold: 0.3 }));
      out.photos.push({ file: path.basename(file), width: p.width, height: p.height, inputSize, scoreThreshold: 0.3,
        faces: found.map((d) => ({ x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height, score: d.score })) });
    }
  }
  fs.writeFileSync(outFile, JSON.stringify(out) + '\n');
  console.log(`${outFile}: pattern grid ${raw.shape.join('x')}, ${out.photos.length} photo runs`);
}

main().catch((e) => { console.error(e); process.exit(1); });
