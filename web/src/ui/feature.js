// Feature detection: the page needs WebAssembly with SIMD128 and module workers. The SIMD test is
// a minimal module whose only function uses v128 instructions (i8x16.splat, i8x16.popcnt): it
// validates exactly when the engine supports SIMD.
const SIMD_TEST = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

// null when everything is there, else what is missing, in words.
export function missingFeatures() {
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function') {
    return 'this browser has no WebAssembly';
  }
  if (!WebAssembly.validate(SIMD_TEST)) return 'this browser has no WebAssembly SIMD (fixed-width SIMD128)';
  if (typeof Worker !== 'function') return 'this browser has no Web Workers';
  return null;
}
