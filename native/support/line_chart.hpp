#pragma once
// A line chart on log-log axes for `diffuse sweep`: one polyline with markers per series, decade
// ticks, an optional dashed horizontal reference line (the data-vs-data baseline) and a legend.
#include <string>
#include <vector>

#include "support/canvas.hpp"

namespace diffuse::cli {

struct LineSeries {
  std::string name;
  std::vector<double> x, y;  // positive values; a non-positive or non-finite y is skipped
  Rgb color;
};

struct LineChart {
  std::string title, subtitle;
  std::string x_label, y_label;
  std::vector<LineSeries> series;
  double reference = 0.0;  // drawn as a dashed line when positive
  std::string reference_label;
  int width = 900, height = 600;
};

Canvas line_chart_draw(const LineChart& chart);

// Ten distinct colours for series (the page's palette).
Rgb line_chart_color(std::size_t i);

}  // namespace diffuse::cli
