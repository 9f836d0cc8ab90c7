// The integer test pattern both reference scripts feed face-api (the C++ tests compute the same
// pixels): side x side x 3, value (x*7 + y*13 + c*29 + ((x*y) % 17)*5) % 256.
const tf = require('@tensorflow/tfjs');

module.exports.pattern = function pattern(side) {
  const v = new Int32Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      for (let c = 0; c < 3; c++) v[(y * side + x) * 3 + c] = (x * 7 + y * 13 + c * 29 + ((x * y) % 17) * 5) % 256;
    }
  }
  return tf.tensor3d(v, [side, side, 3], 'int32');
};
