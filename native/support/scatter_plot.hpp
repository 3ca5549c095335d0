#pragma once
// A 2D scatter plot as a PNG: layers of points (the data in gray under the samples in colour)
// on equal-scale axes, with a frame, a light grid at "nice" tick values (1, 2 or 5 times a power
// of ten), tick labels, axis names, a title and a legend, all text in the canvas's bitmap font.
//
// The extent covers the 0.5th to 99.5th percentile of every layer's points in each axis plus a
// margin, so that a few far-flung samples do not shrink the picture to a dot; the legend counts
// the points that fall outside the frame.
#include <string>
#include <vector>

#include "base/tensor.hpp"
#include "support/canvas.hpp"

namespace diffuse::cli {

struct ScatterLayer {
  const Tensor2* points = nullptr;  // (n, D >= 2): columns 0 and 1 are plotted
  Rgb color;
  float alpha = 0.5f;   // opacity of one point
  float radius = 2.0f;  // pixels
  std::string label;    // in the legend
};

struct ScatterPlot {
  std::string title;
  std::string subtitle;  // a smaller line under the title; may be empty
  std::string x_label = "x", y_label = "y";
  std::vector<ScatterLayer> layers;  // drawn in order: the first is at the bottom
  int size = 800;                    // the image is size x size pixels
};

// The plot's image (for tests and for writing).
Canvas scatter_plot_draw(const ScatterPlot& plot);

// Tick values: multiples of a step of 1, 2 or 5 times a power of ten within [lo, hi], about
// `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
// A tick value with as many decimals as the step needs ("0.5", "-1", "2.25").
std::string tick_label(double value, double step);

}  // namespace diffuse::cli
