#include "support/line_chart.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace diffuse::cli {
namespace {

constexpr Rgb ink{40, 44, 52}, grid{226, 229, 235}, muted{120, 126, 138};

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (v > 0 && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  // Whole decades around the values.
  void widen() {
    if (!(lo <= hi)) lo = 1, hi = 10;
    lo = std::pow(10.0, std::floor(std::log10(lo)));
    hi = std::pow(10.0, std::ceil(std::log10(hi)));
    if (hi <= lo) hi = lo * 10;
  }
};

// A segment drawn as overlapping discs one pixel apart (the canvas has no line primitive).
void segment(Canvas& c, double x0, double y0, double x1, double y1, Rgb color, float width,
             int cx0, int cy0, int cx1, int cy1, bool dashed = false) {
  const double length = std::hypot(x1 - x0, y1 - y0);
  const int steps = std::max(1, static_cast<int>(length));
  for (int s = 0; s <= steps; ++s) {
    if (dashed && (s / 6) % 2 == 1) continue;
    const double f = static_cast<double>(s) / steps;
    c.disc(static_cast<float>(x0 + f * (x1 - x0)), static_cast<float>(y0 + f * (y1 - y0)),
           width / 2, color, 0.9f, cx0, cy0, cx1, cy1);
  }
}

std::string decade_label(double v) {
  const int e = static_cast<int>(std::lround(std::log10(v)));
  if (e >= 0 && e <= 4) return std::to_string(static_cast<long>(std::lround(v)));
  return "1e" + std::to_string(e);
}

}  // namespace

Rgb line_chart_color(std::size_t i) {
  static const Rgb palette[] = {{47, 98, 217},  {224, 119, 47}, {15, 143, 127}, {194, 54, 106},
                                {139, 79, 216}, {122, 138, 16}, {209, 164, 0},  {91, 101, 119},
                                {31, 155, 209}, {160, 82, 45}};
  return palette[i % 10];
}

Canvas line_chart_draw(const LineChart& chart) {
  Canvas c(chart.width, chart.height, {255, 255, 255});
  const int left = 90, right = chart.width - 200, top = 70, bottom = chart.height - 60;
  Range xr, yr;
  for (const LineSeries& s : chart.series) {
    for (double x : s.x) xr.add(x);
    for (double y : s.y) yr.add(y);
  }
  yr.add(chart.reference);
  xr.widen();
  yr.widen();
  const auto px = [&](double x) {
    return left + (std::log10(x) - std::log10(xr.lo)) / (std::log10(xr.hi) - std::log10(xr.lo)) * (right - left);
  };
  const auto py = [&](double y) {
    return bottom - (std::log10(y) - std::log10(yr.lo)) / (std::log10(yr.hi) - std::log10(yr.lo)) * (bottom - top);
  };
  c.text(left, 12, chart.title, ink, 2);
  c.text(left, 38, chart.subtitle, muted, 1);
  for (double v = xr.lo; v <= xr.hi * 1.0001; v *= 10) {
    const int x = static_cast<int>(std::lround(px(v)));
    c.vline(x, top, bottom, grid);
    const std::string label = decade_label(v);
    c.text(x - Canvas::text_width(label, 1) / 2, bottom + 8, label, ink, 1);
  }
  for (double v = yr.lo; v <= yr.hi * 1.0001; v *= 10) {
    const int y = static_cast<int>(std::lround(py(v)));
    c.hline(left, right, y, grid);
    const std::string label = decade_label(v);
    c.text(left - 8 - Canvas::text_width(label, 1), y - 4, label, ink, 1);
  }
  c.hline(left, right, bottom, ink);
  c.vline(left, top, bottom, ink);
  c.text((left + right) / 2 - Canvas::text_width(chart.x_label, 1) / 2, bottom + 28, chart.x_label, ink, 1);
  c.text(8, top - 20, chart.y_label, ink, 1);
  if (chart.reference > 0) {
    const double y = py(chart.reference);
    segment(c, left, y, right, y, muted, 2.0f, left, top, right + 1, bottom + 1, true);
    c.text(left + 8, static_cast<int>(y) - 14, chart.reference_label, muted, 1);
  }
  int legend_y = top;
  for (const LineSeries& s : chart.series) {
    double last_x = 0, last_y = 0;
    bool have_last = false;
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!(s.y[i] > 0 && std::isfinite(s.y[i]))) {
        have_last = false;
        continue;
      }
      const double x = px(s.x[i]), y = std::clamp(py(s.y[i]), double(top), double(bottom));
      if (have_last) segment(c, last_x, last_y, x, y, s.color, 2.0f, left, top, right + 1, bottom + 1);
      c.disc(static_cast<float>(x), static_cast<float>(y), 4.0f, s.color, 1.0f, left - 5, top - 5, right + 6, bottom + 6);
      last_x = x, last_y = y, have_last = true;
    }
    c.fill_rect(right + 12, legend_y + 24, right + 30, legend_y + 28, s.color);
    c.text(right + 36, legend_y + 22, s.name, ink, 1);
    legend_y += 18;
  }
  return c;
}

}  // namespace diffuse::cli
