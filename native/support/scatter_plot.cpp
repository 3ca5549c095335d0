#include "support/scatter_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace diffuse::cli {
namespace {

constexpr Rgb white{255, 255, 255}, panel{248, 248, 250}, grid{226, 228, 234}, ink{50, 52, 60},
    muted{110, 112, 120};
constexpr int margin_left = 84, margin_right = 28, margin_top = 92, margin_bottom = 68;

struct Extent {
  double x0 = -1, x1 = 1, y0 = -1, y1 = 1;
};

// The q-quantile (0 <= q <= 1) of one column over every layer.
double quantile(const std::vector<ScatterLayer>& layers, std::size_t column, double q) {
  std::vector<float> values;
  for (const ScatterLayer& layer : layers) {
    const Tensor2& p = *layer.points;
    for (std::size_t i = 0; i < p.shape(0); ++i) {
      const float v = p(i, column);
      if (std::isfinite(v)) values.push_back(v);
    }
  }
  if (values.empty()) return 0.0;
  const auto k = static_cast<std::size_t>(std::llround(q * (values.size() - 1)));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  return values[k];
}

// The robust extent, widened so that both axes have the same units per pixel.
Extent plot_extent(const ScatterPlot& plot, int width, int height) {
  Extent e;
  double lo[2], hi[2];
  for (std::size_t c = 0; c < 2; ++c) {
    lo[c] = quantile(plot.layers, c, 0.005);
    hi[c] = quantile(plot.layers, c, 0.995);
    const double pad = std::max(0.08 * (hi[c] - lo[c]), 1e-3);
    lo[c] -= pad;
    hi[c] += pad;
  }
  const double per_pixel = std::max((hi[0] - lo[0]) / width, (hi[1] - lo[1]) / height);
  const double cx = (lo[0] + hi[0]) / 2, cy = (lo[1] + hi[1]) / 2;
  e.x0 = cx - per_pixel * width / 2;
  e.x1 = cx + per_pixel * width / 2;
  e.y0 = cy - per_pixel * height / 2;
  e.y1 = cy + per_pixel * height / 2;
  return e;
}

struct Frame {
  int left, top, width, height;
  Extent extent;
  float px(double x) const {
    return static_cast<float>(left + (x - extent.x0) / (extent.x1 - extent.x0) * width);
  }
  float py(double y) const {
    return static_cast<float>(top + (extent.y1 - y) / (extent.y1 - extent.y0) * height);
  }
  bool inside(float x, float y) const {
    return x >= left && x < left + width && y >= top && y < top + height;
  }
};

// Draws a layer's points; returns how many fell outside the frame.
std::size_t draw_layer(Canvas& canvas, const Frame& f, const ScatterLayer& layer) {
  const Tensor2& p = *layer.points;
  std::size_t outside = 0;
  for (std::size_t i = 0; i < p.shape(0); ++i) {
    const float x = f.px(p(i, 0)), y = f.py(p(i, 1));
    if (!std::isfinite(x) || !std::isfinite(y) || !f.inside(x, y)) {
      ++outside;
      continue;
    }
    canvas.disc(x, y, layer.radius, layer.color, layer.alpha, f.left, f.top, f.left + f.width,
                f.top + f.height);
  }
  return outside;
}

void draw_axes(Canvas& canvas, const Frame& f, const ScatterPlot& plot) {
  const int bottom = f.top + f.height, right = f.left + f.width;
  const std::vector<double> xs = nice_ticks(f.extent.x0, f.extent.x1);
  const std::vector<double> ys = nice_ticks(f.extent.y0, f.extent.y1);
  const double x_step = xs.size() > 1 ? xs[1] - xs[0] : 1.0;
  const double y_step = ys.size() > 1 ? ys[1] - ys[0] : 1.0;
  for (double x : xs) {
    const int px = static_cast<int>(std::lround(f.px(x)));
    canvas.vline(px, f.top, bottom, grid);
    canvas.vline(px, bottom, bottom + 6, ink);
    const std::string label = tick_label(x, x_step);
    canvas.text(px - Canvas::text_width(label) / 2, bottom + 12, label, ink);
  }
  for (double y : ys) {
    const int py = static_cast<int>(std::lround(f.py(y)));
    canvas.hline(f.left, right, py, grid);
    canvas.hline(f.left - 6, f.left, py, ink);
    const std::string label = tick_label(y, y_step);
    canvas.text(f.left - 12 - Canvas::text_width(label), py - Canvas::text_height() / 2, label,
                ink);
  }
  canvas.text(f.left + f.width / 2 - Canvas::text_width(plot.x_label) / 2, bottom + 40,
              plot.x_label, muted);
  canvas.text(12, f.top + f.height / 2 - Canvas::text_height() / 2, plot.y_label, muted);
}

// The text, shortened with "..." until it fits `width` pixels at `scale`.
std::string fitted(std::string text, int width, int scale) {
  if (Canvas::text_width(text, scale) <= width) return text;
  while (!text.empty() && Canvas::text_width(text + "...", scale) > width) text.pop_back();
  return text + "...";
}

void draw_frame_and_title(Canvas& canvas, const Frame& f, const ScatterPlot& plot) {
  const int bottom = f.top + f.height, right = f.left + f.width;
  canvas.hline(f.left - 1, right, f.top - 1, ink);
  canvas.hline(f.left - 1, right, bottom, ink);
  canvas.vline(f.left - 1, f.top - 1, bottom, ink);
  canvas.vline(right, f.top - 1, bottom, ink);
  // The title in a double-struck bold: the same text again one pixel to the right.
  // Long titles drop to the smaller size before they are shortened.
  const int room = canvas.width() - 16;
  const int scale = Canvas::text_width(plot.title, 3) <= room ? 3 : 2;
  const std::string title = fitted(plot.title, room, scale);
  const int x = canvas.width() / 2 - Canvas::text_width(title, scale) / 2;
  const int y = plot.subtitle.empty() ? 18 : 8;
  canvas.text(x, y, title, ink, scale);
  canvas.text(x + 1, y, title, ink, scale);
  if (!plot.subtitle.empty()) {
    const std::string subtitle = fitted(plot.subtitle, room, 2);
    canvas.text(canvas.width() / 2 - Canvas::text_width(subtitle) / 2, y + 30, subtitle, muted);
  }
}

// One row between the title and the frame, centred, so that it never hides points. When the
// labels with their counts do not fit the width (many classes), the bare labels do.
void draw_legend(Canvas& canvas, const Frame& f, const ScatterPlot& plot,
                 std::vector<std::string> labels) {
  constexpr int marker = 22, gap = 28;
  const auto row_width = [&] {
    int width = 0;
    for (const std::string& label : labels) width += marker + Canvas::text_width(label) + gap;
    return width;
  };
  if (row_width() - gap > canvas.width() - 16) {
    for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = plot.layers[i].label;
  }
  const int width = row_width();
  int x = f.left + f.width / 2 - (width - gap) / 2;
  const int cy = f.top - 20;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const ScatterLayer& layer = plot.layers[i];
    canvas.disc(x + 6.0f, static_cast<float>(cy), 5.0f, layer.color, std::max(layer.alpha, 0.8f),
                x - 2, cy - 8, x + 16, cy + 8);
    canvas.text(x + marker, cy - Canvas::text_height() / 2, labels[i], ink);
    x += marker + Canvas::text_width(labels[i]) + gap;
  }
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  // The finest step of 1, 2 or 5 times a power of ten that gives at most 1.4 * target ticks.
  const double raw = (hi - lo) / std::max(target, 1);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if ((hi - lo) / step <= 1.4 * target) break;
  }
  for (double k = std::ceil(lo / step); k * step <= hi; k += 1) {
    ticks.push_back(std::abs(k) < 1e-9 ? 0.0 : k * step);
  }
  return ticks;
}

std::string tick_label(double value, double step) {
  const int decimals = std::clamp(static_cast<int>(std::ceil(-std::log10(step) - 1e-9)), 0, 8);
  char text[40];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  std::string label = text;
  // A value that rounds to zero prints as "-0.0" when negative: drop the sign.
  if (label[0] == '-' && label.find_first_not_of("0.", 1) == std::string::npos) label.erase(0, 1);
  return label;
}

Canvas scatter_plot_draw(const ScatterPlot& plot) {
  const int size = std::max(plot.size, 200);
  Canvas canvas(size, size, white);
  Frame f{margin_left,
          margin_top,
          size - margin_left - margin_right,
          size - margin_top - margin_bottom,
          {}};
  f.extent = plot_extent(plot, f.width, f.height);
  canvas.fill_rect(f.left, f.top, f.left + f.width, f.top + f.height, panel);
  draw_axes(canvas, f, plot);
  std::vector<std::string> labels;
  for (const ScatterLayer& layer : plot.layers) {
    const std::size_t outside = draw_layer(canvas, f, layer);
    std::string label = layer.label + ": " + std::to_string(layer.points->shape(0));
    if (outside > 0) label += " (" + std::to_string(outside) + " outside)";
    labels.push_back(label);
  }
  draw_frame_and_title(canvas, f, plot);
  draw_legend(canvas, f, plot, labels);
  return canvas;
}

}  // namespace diffuse::cli
