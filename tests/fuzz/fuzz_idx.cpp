// The IDX loaders (core/data/idx.cpp) on any bytes, as labels (10 classes) and as images of the
// two sizes the data sets use (8 x 8, 28 x 28): each loads or throws diffuse::Error, checks every
// size before allocating, and what it loads has exactly the bytes' count.
#include <optional>

#include "data/idx.hpp"
#include "fuzz_support.hpp"

using namespace diffuse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = fuzz::as_text(data, size);
  std::optional<std::vector<std::int32_t>> labels;
  fuzz::accepts([&] { labels = idx_parse_labels(bytes, 10, "fuzz labels"); });
  if (labels) {
    fuzz::require(!labels->empty() && labels->size() + 8 == size, "N labels in N + 8 bytes");
    for (const std::int32_t label : *labels)
      fuzz::require(label >= 0 && label < 10, "labels in 0..9");
  }
  for (const std::size_t side : {std::size_t{8}, std::size_t{28}}) {
    std::optional<IdxImages> images;
    fuzz::accepts([&] { images = idx_parse_images(bytes, side, side, "fuzz images"); });
    if (!images) continue;
    fuzz::require(images->count >= 1 && images->height == side && images->width == side,
                  "the sizes asked for, N >= 1");
    fuzz::require(
        images->pixels.size() == images->count * side * side && images->pixels.size() + 16 == size,
        "N H W pixels in N H W + 16 bytes");
  }
  return 0;
}
