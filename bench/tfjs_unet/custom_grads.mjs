// The two ops of the U-Net whose gradients TF.js 4.22's WebAssembly backend cannot run, rebuilt
// with tf.customGrad from kernels it has (docs/tfjs-reference.md lists them):
//   - conv2d's filter gradient: its gradient asks for the Conv2DBackpropFilter kernel, which
//     tfjs-backend-wasm does not register (an open TF.js issue). Here it is a convolution of the
//     transposed input with the transposed dy (conv2dFilterGrad). The input gradient keeps TF.js's
//     own conv2dTranspose (Conv2DBackpropInput, which the backend has), unless the caller asks for
//     inputGrad 'conv2d' (a flipped-filter conv2d: the "tuned" variant of the benchmark).
//   - gather's gradient (the class-embedding lookup): it asks for UnsortedSegmentSum, which the
//     backend does not register either. Here it is one_hot(labels)^T dy, one matMul.
// and one whose TF.js gradient is wrong in the CPU backend used by the check (upsampleNearest2x).
// Both are used on every backend (CPU in the check, WebAssembly in the browser), so the model
// checked against PyTorch is exactly the one timed. Every function takes the tf namespace as its
// first argument: node imports it, the browser's worker has it as a global.

// Explicit zero padding [[0, 0], [p, p], [p, p], [0, 0]] (NHWC), as PyTorch's Conv2d(padding=p).
// TF.js's 'same' would pad a stride-2 3x3 convolution of an even side at the bottom/right only
// (reading rows 2y..2y+2), where PyTorch reads rows 2y-1..2y+1.
const explicitPad = (p) => [[0, 0], [p, p], [p, p], [0, 0]];

// The filter gradient of y = conv2d(x, w, stride s, zero padding p), NHWC, w (k, k, Ci, Co):
//   dw[i, j, c, o] = sum_{b, y, x} xpad[b, s y + i, s x + j, c] dy[b, y, x, o]
// which is itself a convolution with the roles swapped: the padded input seen as Ci images of B
// channels, (Ci, Hp, Wp, B), convolved ("valid", dilation s) with dy seen as a filter of
// (Ho, Wo, B, Co), gives (Ci, k, k, Co). It runs on the backend's Conv2D (XNNPACK in the
// WebAssembly backend); an im2col concat + matMul(transposeA) was measured 5-7x slower there,
// TF.js's WebAssembly Concat and transposed matMul being slow paths.
export function conv2dFilterGrad(tf, x, dy, k, stride, pad) {
  const [, H, W] = x.shape;
  const [, Ho, Wo] = dy.shape;
  // Rows and columns read by tap k - 1: up to s (Ho - 1) + k - 1 of xpad; pad the bottom/right
  // only as far as that (PyTorch never reads the rest of its bottom/right padding).
  const bottom = stride * (Ho - 1) + k - (H + pad), right = stride * (Wo - 1) + k - (W + pad);
  const xp = pad || bottom > 0 || right > 0 ? tf.pad(x, [[0, 0], [pad, Math.max(bottom, 0)], [pad, Math.max(right, 0)], [0, 0]]) : x;
  const images = tf.transpose(xp, [3, 1, 2, 0]);  // (Ci, Hp, Wp, B)
  const filter = tf.transpose(dy, [1, 2, 0, 3]);  // (Ho, Wo, B, Co)
  const dw = tf.conv2d(images, filter, 1, 'valid', 'NHWC', stride);  // (Ci, k', k', Co), k' >= k
  const exact = dw.shape[1] === k && dw.shape[2] === k ? dw : tf.slice(dw, [0, 0, 0, 0], [-1, k, k, -1]);
  return tf.transpose(exact, [1, 2, 0, 3]);
}

// The input gradient of the same convolution, dx (B, H, W, Ci) from dy (B, Ho, Wo, Co).
//   'stock':  TF.js's own conv2dTranspose (the Conv2DBackpropInput kernel; in the WebAssembly
//             backend a plain loop, not XNNPACK).
//   'conv2d': for stride 1, the correlation of dy (zero-padded by k - 1 - p) with the filter
//             flipped in space and with in/out swapped, dx = conv2d(dy, w'), w'[i, j, o, c] =
//             w[k-1-i, k-1-j, c, o]: the backend's forward Conv2D (XNNPACK). Stride 2 keeps the
//             stock kernel (its dy would first need zeros between its pixels).
export function conv2dInputGrad(tf, dy, w, xShape, stride, pad, mode) {
  const k = w.shape[0];
  if (mode === 'conv2d' && stride === 1) {
    const flipped = tf.transpose(k > 1 ? tf.reverse(w, [0, 1]) : w, [0, 1, 3, 2]);
    return tf.conv2d(dy, flipped, 1, explicitPad(k - 1 - pad));
  }
  return tf.conv2dTranspose(dy, w, xShape, stride, explicitPad(pad));
}

// conv2d(x, w) with zero padding `pad` and `stride` (no bias), NHWC; differentiable in x and w;
// inputGrad: 'stock' or 'conv2d' (conv2dInputGrad).
export function conv2d(tf, x, w, stride, pad, inputGrad = 'stock') {
  const k = w.shape[0];
  const f = tf.customGrad((xIn, wIn, save) => {
    save([xIn, wIn]);
    return {
      value: tf.conv2d(xIn, wIn, stride, explicitPad(pad)),
      gradFunc: (dy, [xs, ws]) => [
        conv2dInputGrad(tf, dy, ws, xs.shape, stride, pad, inputGrad),
        conv2dFilterGrad(tf, xs, dy, k, stride, pad),
      ],
    };
  });
  return f(x, w);
}

// The same for an input that needs no gradient (conv_in reads the data): only dw is computed, as
// PyTorch (the input does not require grad) and diffuse (conv_in has no dx) do.
export function conv2dOnData(tf, x, w, stride, pad) {
  const k = w.shape[0];
  const f = tf.customGrad((wIn, save) => {
    save([wIn]);
    return {
      value: tf.conv2d(x, wIn, stride, explicitPad(pad)),
      gradFunc: (dy) => [conv2dFilterGrad(tf, x, dy, k, stride, pad)],
    };
  });
  return f(w);
}

// table[labels] (B, E) for a table (K + 1, E); the table's gradient is one_hot(labels)^T dy.
export function embeddingLookup(tf, table, labels) {
  const rows = table.shape[0];
  const f = tf.customGrad((tableIn) => ({
    value: tf.gather(tableIn, labels),
    // oneHot in int32 then cast: the WebAssembly backend's OneHot ignores dtype 'float32' and writes
    // the int32 bit patterns (1 reads as 1.4e-45), which check_against_torch.mjs caught.
    gradFunc: (dy) => [tf.matMul(tf.cast(tf.oneHot(labels, rows), 'float32'), dy, true, false)],
  }));
  return f(table);
}

// Nearest-neighbour x2, out[y][x] = in[floor(y / 2)][floor(x / 2)] (diffusers' F.interpolate(
// scale_factor=2, mode="nearest"); TF.js's resizeNearestNeighbor without corner alignment or
// half-pixel centres), whose gradient is the sum of each 2x2 block of dy. TF.js's own gradient
// (ResizeNearestNeighborGrad) is right in the WebAssembly backend but wrong in the CPU backend of
// 4.22 for this case (check_against_torch.mjs found it), so the check and the benchmark share
// this one. x (B, H, W, C) -> (B, 2H, 2W, C).
export function upsampleNearest2x(tf, x) {
  const f = tf.customGrad((xIn) => {
    const [B, H, W, C] = xIn.shape;
    return {
      value: tf.image.resizeNearestNeighbor(xIn, [2 * H, 2 * W], false, false),
      gradFunc: (dy) => [tf.sum(tf.reshape(dy, [B, H, 2, W, 2, C]), [2, 4])],
    };
  });
  return f(x);
}
