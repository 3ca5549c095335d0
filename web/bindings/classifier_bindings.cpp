// Image sample quality in the page, as `diffuse eval` measures it (native/commands/eval_images.cpp):
// the project's quality classifier (scripts/build.sh trains it; the page ships it) labels the
// samples, rounded to the data's grey levels first as an image file would store them
// (image_set_quantize), and embeds them in its penultimate features, where the Fréchet distance
// to held-out images is measured.
#include <emscripten/bind.h>

#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "executor.hpp"
#include "guard.hpp"
#include "handles.hpp"
#include "io/classifier_checkpoint.hpp"
#include "metrics/class_agreement.hpp"
#include "metrics/frechet.hpp"
#include "nn/classifier_trainer.hpp"
#include "typed_arrays.hpp"

namespace diffuse::web {

using emscripten::val;

namespace {

std::vector<std::size_t> index_range(std::size_t first, std::size_t n) {
  std::vector<std::size_t> out(n);
  std::iota(out.begin(), out.end(), first);
  return out;
}

}  // namespace

struct ClassifierHandle : NonCopyable {
  ClassifierCheckpoint checkpoint;
  std::unique_ptr<Classifier> model;

  // The reference of n held-out images (the first n of the test split) in feature space, and the
  // Fréchet distance of the next n to them: what real images score at the same n.
  struct Reference {
    Tensor2 features;
    double baseline = 0;
  };
  std::map<std::pair<const ImageDataHandle*, std::size_t>, Reference> references;

  const Reference& reference(const ImageDataHandle& images, std::size_t n) {
    auto& slot = references[{&images, n}];
    if (slot.features.size() == 0) {
      const ImageSet& test = images.split.test;
      slot.features = classifier_image_features(*model, image_set_subset(test, index_range(0, n)), page_executor());
      const Tensor2 next = classifier_image_features(*model, image_set_subset(test, index_range(n, n)), page_executor());
      slot.baseline = frechet_distance(next, slot.features).distance;
    }
    return slot;
  }

  // classifier.quality(samples (flat n C H W, data units), labels (Int32Array of the classes asked
  // for, or null), images, nReference) -> { frechet, baselineFrechet, agreement (null without
  // labels), perClass (Float64Array, NaN for a class not asked for), n, nReference }
  val quality(val samples, val labels, const ImageDataHandle& images, int n_reference) {
    return guarded([&] {
      const ImageSet& test = images.split.test;
      if (images.name != image_datasets.name(checkpoint.dataset)) {
        fail("this classifier judges ", image_datasets.name(checkpoint.dataset), " images, not ", images.name);
      }
      if (n_reference < 2 || 2 * static_cast<std::size_t>(n_reference) > test.count) {
        fail("nReference = ", n_reference, " is invalid: must be in [2, ", test.count / 2, "]");
      }
      const Tensor2 values = points_from_js(samples, test.image_size(), "samples");
      std::vector<std::int32_t> requested;
      if (!labels.isNull() && !labels.isUndefined()) {
        requested = from_js_array<std::int32_t>(labels, "labels");
        if (requested.size() != values.shape(0)) fail(values.shape(0), " samples but ", requested.size(), " labels");
      }
      const ImageSet sampled = image_set_quantize(values, requested, test);
      const Reference& ref = reference(images, static_cast<std::size_t>(n_reference));
      const FrechetDistance fd = frechet_distance(classifier_image_features(*model, sampled, page_executor()),
                                                  ref.features);
      val out = val::object();
      out.set("frechet", fd.distance);
      out.set("baselineFrechet", ref.baseline);
      out.set("n", static_cast<double>(sampled.count));
      out.set("nReference", n_reference);
      if (requested.empty()) {
        out.set("agreement", val::null());
        out.set("perClass", val::null());
        return out;
      }
      const Labels predicted = classifier_classify(*model, sampled, page_executor());
      Labels asked = Labels::from_shape({requested.size()});
      std::copy(requested.begin(), requested.end(), asked.begin());
      const ClassAgreement a = class_agreement(asked, predicted, checkpoint.model.classes);
      std::vector<double> per_class(a.requested.size());
      for (std::size_t k = 0; k < per_class.size(); ++k) per_class[k] = a.of_class(k);
      out.set("agreement", a.overall());
      out.set("perClass", to_typed_array(per_class));
      return out;
    });
  }
};

namespace {

// classifierLoad(bytes, source) -> { classifier, dataset, classes, testAccuracy }
val classifier_load(val bytes, const std::string& source) {
  return guarded([&] {
    if (!bytes.instanceof(val::global("Uint8Array"))) fail("classifier bytes must be a Uint8Array");
    const std::vector<std::uint8_t> data = from_js_array<std::uint8_t>(bytes, "classifier bytes");
    auto handle = std::make_unique<ClassifierHandle>();
    handle->checkpoint = classifier_checkpoint_read(data.data(), data.size(), source);
    handle->model = std::make_unique<Classifier>(classifier_from_checkpoint(handle->checkpoint));
    val out = val::object();
    out.set("dataset", std::string(image_datasets.name(handle->checkpoint.dataset)));
    out.set("classes", static_cast<double>(handle->checkpoint.model.classes));
    out.set("testAccuracy", handle->checkpoint.test_accuracy);
    out.set("classifier", val(std::move(handle)));
    return out;
  });
}

}  // namespace
}  // namespace diffuse::web

EMSCRIPTEN_BINDINGS(diffuse_classifier) {
  using diffuse::web::ClassifierHandle;
  emscripten::class_<ClassifierHandle>("Classifier").function("quality", &ClassifierHandle::quality);
  emscripten::function("classifierLoad", &diffuse::web::classifier_load);
}
