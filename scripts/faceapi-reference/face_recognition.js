// Reference outputs of face-api's face-identity ResNet (FaceRecognitionNet, face_recognition_model),
// made by the npm package itself (@vladmandic/face-api on TensorFlow.js's plain-JavaScript CPU
// backend), for ferkit's face_resnet conformance test (tests/models/test_face_resnet.cpp). Run
// through make-reference.sh, which installs the packages into a scratch folder.
//
//   node face_recognition.js WEIGHTS_DIR OUT.json [FACE.ppm ...]
//
// Inputs are 150x150 RGB, face-api's own input size, so the package neither pads nor resizes them:
// - a pattern computed from integers (the C++ test computes the same pixels);
// - face crops as binary PPM files (make-reference.sh cuts and writes them with OpenCV, and the
//   test cuts the same crops).
// For each, the 128-d descriptor (the network's output: mean of the last map, times fc) is stored.
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const { pattern } = require('./pattern');

function rgbPhoto(file) {
  const bytes = fs.readFileSync(file);
  const header = bytes.toString('latin1', 0, 64).match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
  if (!header) throw new Error(`${file}: not an 8-bit binary PPM`);
  const [width, height] = [Number(header[1]), Number(header[2])];
  const pixels = bytes.subarray(header[0].length, header[0].length + width * height * 3);
  return tf.tensor3d(Int32Array.from(pixels), [height, width, 3], 'int32');
}

async function descriptor(net, input) {
  return Array.from(await net.computeFaceDescriptor(input)).map((x) => Number(x.toPrecision(8)));
}

async function main() {
  const [weightsDir, outFile, ...faces] = process.argv.slice(2);
  await tf.setBackend('cpu');
  await tf.ready();
  await faceapi.nets.faceRecognitionNet.loadFromDisk(weightsDir);
  const net = faceapi.nets.faceRecognitionNet;
  const out = { package: '@vladmandic/face-api 1.7.15', backend: tf.getBackend(), tfjs: tf.version.tfjs };
  out.pattern = { side: 150, formula: '(x*7 + y*13 + c*29 + ((x*y) % 17)*5) % 256', descriptor: await descriptor(net, pattern(150)) };
  out.faces = [];
  for (const file of faces) out.faces.push({ file: path.basename(file), descriptor: await descriptor(net, rgbPhoto(file)) });
  fs.writeFileSync(outFile, JSON.stringify(out) + '\n');
  console.log(`${outFile}: pattern and ${out.faces.length} face descriptors`);
}

main().catch((e) => { console.error(e); process.exit(1); });
