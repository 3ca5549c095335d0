// The scatter plot's pieces: tick values and labels, text measurement, and a drawn plot whose
// points land where the extent says.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "base/tensor.hpp"
#include "support/canvas.hpp"
#include "support/scatter_plot.hpp"

using namespace diffuse;
using namespace diffuse::cli;

TEST_CASE("nice ticks: 1, 2 or 5 times a power of ten, inside the range") {
  CHECK(nice_ticks(-1.3, 2.4) == std::vector<double>{-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0});
  CHECK(nice_ticks(0, 10) == std::vector<double>{0, 2, 4, 6, 8, 10});
  CHECK(nice_ticks(0.01, 0.07) == std::vector<double>{0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07});
  CHECK(nice_ticks(-250, 250).size() == 5);  // -200 .. 200 by 100; by 50 would be 11
  CHECK(nice_ticks(1, 1).empty());
  for (double lo : {-3.7, 0.2, 123.0}) {
    for (double range : {0.05, 1.0, 7.0, 900.0}) {
      const std::vector<double> ticks = nice_ticks(lo, lo + range);
      INFO(lo << " + " << range);
      CHECK(ticks.size() >= 3);
      CHECK(ticks.size() <= 9);
      CHECK(ticks.front() >= lo - 1e-12);
      CHECK(ticks.back() <= lo + range + 1e-12);
    }
  }
}

TEST_CASE("tick labels carry the decimals of the step, and no negative zero") {
  CHECK(tick_label(0.5, 0.5) == "0.5");
  CHECK(tick_label(2.0, 1.0) == "2");
  CHECK(tick_label(-1.0, 0.5) == "-1.0");
  CHECK(tick_label(0.05, 0.01) == "0.05");
  CHECK(tick_label(-0.0, 0.2) == "0.0");
  CHECK(tick_label(200.0, 100.0) == "200");
  CHECK(tick_label(-0.01, 0.5) == "0.0");
}

TEST_CASE("text is drawn in the bitmap font within its measured box") {
  Canvas canvas(200, 60, {255, 255, 255});
  const std::string text = "x = 1.5";
  canvas.text(10, 10, text, {0, 0, 0}, 2);
  const int w = Canvas::text_width(text, 2), h = Canvas::text_height(2);
  int inside = 0, outside = 0;
  for (int y = 0; y < 60; ++y) {
    for (int x = 0; x < 200; ++x) {
      if (canvas.pixel(x, y).r != 0) continue;
      const bool in_box = x >= 10 && x < 10 + w && y >= 10 && y < 10 + h + 4;  // + descenders
      ++(in_box ? inside : outside);
    }
  }
  CHECK(inside > 40);
  CHECK(outside == 0);
}

TEST_CASE("a scatter plot puts a lone cluster's points inside the frame, in colour") {
  Tensor2 points = Tensor2::from_shape({200, 2});
  for (std::size_t i = 0; i < 200; ++i) {
    points(i, 0) = static_cast<float>(i % 20) * 0.05f;
    points(i, 1) = static_cast<float>(i / 20) * 0.1f;
  }
  ScatterPlot plot;
  plot.title = "test";
  plot.size = 300;
  plot.layers.push_back({&points, {200, 0, 0}, 1.0f, 2.0f, "points"});
  const Canvas canvas = scatter_plot_draw(plot);
  CHECK(canvas.width() == 300);
  CHECK(canvas.height() == 300);
  int red = 0;
  for (int y = 0; y < 300; ++y) {
    for (int x = 0; x < 300; ++x) {
      const Rgb p = canvas.pixel(x, y);
      red += p.r > 150 && p.g < 80 && p.b < 80;
    }
  }
  CHECK(red > 200 * 4);
  const std::string png = canvas.encode_png();
  CHECK(png.substr(0, 8) == "\x89PNG\r\n\x1a\n");
}
