// The digits CSV loader (core/data/digits.cpp, sklearn's digits.csv text) on any text: it loads a
// valid set of 8 x 8 images of 17 levels or throws diffuse::Error.
#include <optional>

#include "data/digits.hpp"
#include "data/image_set.hpp"
#include "fuzz_support.hpp"

using namespace diffuse;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<ImageSet> set;
  fuzz::accepts([&] { set = digits_parse(fuzz::as_text(data, size), "fuzz digits.csv"); });
  if (!set) return 0;
  fuzz::require(fuzz::accepts([&] { image_set_validate(*set, "fuzz digits"); }),
                "a valid image set");
  fuzz::require(set->height == digits_side && set->width == digits_side &&
                    set->levels == digits_levels && set->classes == digits_classes,
                "8 x 8 images of 17 levels in 10 classes");
  return 0;
}
