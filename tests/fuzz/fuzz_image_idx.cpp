// The image data sets from IDX file pairs: the digits as the page ships them (digits_from_idx,
// core/data/digits.cpp) and Fashion-MNIST (fashion_mnist_parse, core/data/fashion_mnist.cpp).
// The input is the two files: its first two bytes (big-endian) give the image file's length L,
// the next L bytes are the image file and the rest the label file. Each loads a valid image set
// or throws diffuse::Error.
#include <algorithm>
#include <optional>

#include "data/digits.hpp"
#include "data/fashion_mnist.hpp"
#include "data/image_set.hpp"
#include "fuzz_support.hpp"

using namespace diffuse;

namespace {

void check(const std::optional<ImageSet>& set, std::size_t side) {
  if (!set) return;
  fuzz::require(fuzz::accepts([&] { image_set_validate(*set, "fuzz images"); }),
                "a valid image set");
  fuzz::require(set->height == side && set->width == side && set->classes == 10,
                "the data set's image size and ten classes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t split = std::min<std::size_t>((std::size_t{data[0]} << 8 | data[1]), size - 2);
  const std::string_view images = fuzz::as_text(data + 2, split);
  const std::string_view labels = fuzz::as_text(data + 2 + split, size - 2 - split);
  std::optional<ImageSet> digits, fashion;
  fuzz::accepts([&] { digits = digits_from_idx(images, labels, "fuzz images", "fuzz labels"); });
  check(digits, digits_side);
  fuzz::accepts(
      [&] { fashion = fashion_mnist_parse(images, labels, "fuzz images", "fuzz labels"); });
  check(fashion, fashion_mnist_side);
  return 0;
}
