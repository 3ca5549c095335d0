#include "nn/classifier_recipe.hpp"

#include "data/digits.hpp"
#include "data/fashion_mnist.hpp"

namespace diffuse {

ClassifierRecipe classifier_recipe(ImageDataset dataset) {
  ClassifierRecipe r;
  r.model.hidden = 256;
  r.model.layers = 2;
  r.model.activation = kernels::Activation::relu;
  if (dataset == ImageDataset::digits) {
    r.model.shape = {1, digits_side, digits_side};
    r.model.levels = digits_levels;
    r.model.classes = digits_classes;
    r.train.epochs = 80;
    r.train.batch = 64;
    r.train.learning_rate = 2e-3;
    r.train.warmup_steps = 0;
  } else {
    r.model.shape = {1, fashion_mnist_side, fashion_mnist_side};
    r.model.levels = fashion_mnist_levels;
    r.model.classes = fashion_mnist_classes;
    r.train.epochs = 15;
    r.train.batch = 128;
    r.train.learning_rate = 1e-3;
    r.train.warmup_steps = 0;
  }
  return r;
}

}  // namespace diffuse
