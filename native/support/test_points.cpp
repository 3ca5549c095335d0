#include "support/test_points.hpp"

#include <algorithm>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/image_set.hpp"
#include "data/toy2d.hpp"
#include "support/image_datasets.hpp"

namespace diffuse::cli {

LabeledPoints test_points_load(const Checkpoint& c, const DatasetSpec& spec,
                               const TestPointsRequest& r) {
  LabeledPoints test;
  const std::size_t D = model_sample_size(c.model);
  if (spec.image()) {
    require_model_of_images("--dataset", spec, c);
    const ImageSet held_out = image_dataset_load(*spec.images).test;
    if (r.n_given && r.n > held_out.count) {
      fail("--n ", r.n, " is more than the ", held_out.count, " held-out images of ", r.dataset);
    }
    return image_set_points(held_out, r.n_given ? r.n : r.image_default_n);
  }
  if (spec.generated()) {
    if (D != 2) fail("--dataset ", r.dataset, " is 2D but the model has D = ", D);
    Rng rng(r.seed, test_rng_stream);
    test.points = toy2d_sample(*spec.set, r.n, rng, r.labels ? &test.labels : nullptr);
    test.classes = toy2d_classes(*spec.set);
    return test;
  }
  test = dataset_read_csv("--dataset", spec.path);
  if (test.points.shape(1) != D) {
    fail("--dataset '", r.dataset, "' has ", test.points.shape(1), " columns but the model has D = ", D);
  }
  if (!r.n_given) return test;
  if (r.n > test.points.shape(0)) {
    fail("--n ", r.n, " is more than the ", test.points.shape(0), " points of '", r.dataset, "'");
  }
  test.points = rows_head(test.points, r.n);
  if (test.labels.size() > 0) {
    Labels head = Labels::from_shape({r.n});
    std::copy(test.labels.data(), test.labels.data() + r.n, head.data());
    test.labels = head;
  }
  return test;
}

}  // namespace diffuse::cli
