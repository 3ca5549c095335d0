#pragma once
// scikit-learn's 8x8 digits (the UCI "Optical Recognition of Handwritten Digits" test set, as
// sklearn.datasets.load_digits ships it in sklearn/datasets/data/digits.csv.gz): 1,797 images of
// 8 x 8 pixels with 17 grey levels (0 .. 16), labels 0 .. 9. docs/datasets.md describes the data
// and where scripts/setup.sh gets it.
//
// The CSV text, exactly as sklearn's file has it: no header; one image per line; 65 fields
// separated by commas, the 64 pixels row by row (row-major, top row first) then the label; every
// field a decimal integer without sign, spaces or fraction. Lines end in LF (a CR before it is
// tolerated); the last line may lack its LF. Blank lines are errors: the file has none, so one is
// a sign of a different file. Anything else throws an Error naming the source, the line, the column
// and the offending text.
//
// The held-out split (image_split_digits) is fixed: docs/datasets.md lists its per-class counts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "data/image_set.hpp"

namespace diffuse {

inline constexpr std::size_t digits_count = 1797;  // images in sklearn's file
inline constexpr std::size_t digits_side = 8;      // H = W
inline constexpr int digits_levels = 17;           // pixels 0 .. 16
inline constexpr std::size_t digits_classes = 10;  // labels 0 .. 9

// The held-out split: Rng(digits_split_seed, digits_split_stream) draws a permutation of the
// 1,797 file positions by Fisher-Yates (for i = N - 1 down to 1, swap i with below(i + 1)); its
// first digits_test_count positions are the test images, the rest the training images; both
// keep the file's order. 297 test images leave exactly 1,500 for training, and about 30 test
// images per class, enough for a per-class check of generated digits; the split is not
// stratified (the per-class counts it gives are in docs/datasets.md).
inline constexpr std::uint64_t digits_split_seed = 0x646967697473;  // "digits"
inline constexpr std::uint64_t digits_split_stream = 0x73706c6974;  // "split"
inline constexpr std::size_t digits_test_count = 297;

// Parses the CSV text (the decompressed digits.csv.gz); `source` names it in error messages.
// Any number of rows >= 1; callers that want sklearn's file check count == digits_count.
// Returns N images of 1 x 8 x 8, levels 17, classes 10 named "0" .. "9".
ImageSet digits_parse(std::string_view text, std::string_view source = "digits.csv");

// The same images from the two IDX files (data/idx.hpp) the page ships (scripts/web_assets.mjs
// writes them from the CSV at build time: a compact binary, a quarter of the CSV's text): images
// of 8 x 8 pixels each 0 .. 16 and labels 0 .. 9, one label per image; anything else throws an
// Error naming the source and the problem. Returns what digits_parse returns for the same data.
ImageSet digits_from_idx(std::string_view image_bytes, std::string_view label_bytes,
                         std::string_view image_source, std::string_view label_source);
// The fixed split above. Throws Error unless the set is valid and has digits_count images.
ImageSplit image_split_digits(const ImageSet& digits);

}  // namespace diffuse
