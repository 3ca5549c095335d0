#include "support/image_grid.hpp"

#include <algorithm>
#include <cmath>

#include "base/error.hpp"

namespace diffuse::cli {
namespace {

constexpr int gap = 2;            // screen pixels between cells
constexpr int group_gap = 10;     // between groups of rows
constexpr int margin = 8;         // around everything
constexpr int text_scale = 2;
constexpr int max_side = 16384;
constexpr int min_title_width = 360;
const Rgb background{255, 255, 255};
const Rgb text_color{40, 44, 52};

std::uint8_t level_to_byte(float value, int levels, bool dark_ink) {
  const float top = static_cast<float>(levels - 1);
  const float v = std::min(std::max(value, 0.0f), top) / top;  // clipped to the data range
  const float shade = dark_ink ? 1.0f - v : v;
  return static_cast<std::uint8_t>(std::lround(255.0f * shade));
}

// The title in lines no wider than `width` (at least min_title_width), broken after "; " or ", ".
std::vector<std::string> wrap_title(const std::string& title, int width) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < title.size()) {
    std::size_t end = title.find_first_of(";,", start);
    end = end == std::string::npos ? title.size() : end + 1;
    parts.push_back(title.substr(start, end - start));
    start = end;
  }
  std::vector<std::string> lines;
  for (const std::string& part : parts) {
    if (!lines.empty() && Canvas::text_width(lines.back() + part, text_scale) <= width) {
      lines.back() += part;
    } else {
      lines.push_back(lines.empty() ? part : part.substr(part.find_first_not_of(' ')));
    }
  }
  return lines;
}

}  // namespace

std::vector<std::vector<long>> grid_cells_in_order(std::size_t count, std::size_t columns) {
  std::vector<std::vector<long>> cells;
  for (std::size_t i = 0; i < count; ++i) {
    if (i % columns == 0) cells.emplace_back();
    cells.back().push_back(static_cast<long>(i));
  }
  return cells;
}

std::vector<std::vector<long>> grid_cells_by_class(std::size_t count, std::size_t classes) {
  std::vector<std::vector<long>> cells(std::min(count, classes));
  for (std::size_t i = 0; i < count; ++i) cells[i % classes].push_back(static_cast<long>(i));
  return cells;
}

int grid_zoom_for(std::size_t side, int target) {
  return std::max(1, static_cast<int>(std::lround(static_cast<double>(target) / side)));
}

Canvas image_grid_draw(const ImageGrid& g) {
  if (g.channels != 1 && g.channels != 3) {
    fail("a PNG grid draws images of 1 (grey) or 3 (RGB) channels, not ", g.channels);
  }
  std::size_t columns = 0;
  for (const auto& row : g.cells) columns = std::max(columns, row.size());
  const int rows = static_cast<int>(g.cells.size());
  const int cell_w = static_cast<int>(g.width) * g.zoom, cell_h = static_cast<int>(g.height) * g.zoom;
  // A column is as wide as its image or its label, whichever is wider; images are centred.
  int column_w = cell_w;
  for (const std::string& label : g.column_labels) {
    column_w = std::max(column_w, Canvas::text_width(label, text_scale) + 6);
  }
  const auto row_top = [&](int r) {
    return r * (cell_h + gap) + (g.row_group > 0 ? (r / static_cast<int>(g.row_group)) * group_gap : 0);
  };
  int label_w = 0;
  for (const std::string& label : g.row_labels) label_w = std::max(label_w, Canvas::text_width(label, text_scale));
  if (label_w > 0) label_w += 8;
  const double content_w = label_w + static_cast<double>(columns) * (column_w + gap) - gap;
  std::vector<std::string> title;
  int title_w = 0;
  if (!g.title.empty()) {
    title = wrap_title(g.title, std::max(static_cast<int>(std::min<double>(content_w, max_side)), min_title_width));
    for (const std::string& line : title) title_w = std::max(title_w, Canvas::text_width(line, text_scale));
  }
  const int line_h = Canvas::text_height(text_scale) + 4;
  const int title_h = title.empty() ? 0 : static_cast<int>(title.size()) * line_h + 4;
  const int header_h = g.column_labels.empty() ? 0 : Canvas::text_height(text_scale) + 6;
  const double width = 2.0 * margin + std::max<double>(content_w, title_w);
  const double height = 2.0 * margin + title_h + header_h + (rows > 0 ? row_top(rows - 1) + cell_h : 0);
  if (width > max_side || height > max_side) {
    fail("the image grid would be ", width, " x ", height, " pixels: at most ", max_side,
         " on a side (draw fewer images)");
  }
  Canvas canvas(std::max(1, static_cast<int>(width)), std::max(1, static_cast<int>(height)), background);
  for (std::size_t i = 0; i < title.size(); ++i) {
    canvas.text(margin, margin + static_cast<int>(i) * line_h, title[i], text_color, text_scale);
  }
  const int top = margin + title_h + header_h, left = margin + label_w;
  for (std::size_t c = 0; c < g.column_labels.size() && c < columns; ++c) {
    const int x = left + static_cast<int>(c) * (column_w + gap) +
                  (column_w - Canvas::text_width(g.column_labels[c], text_scale)) / 2;
    canvas.text(x, margin + title_h, g.column_labels[c], text_color, text_scale);
  }
  const std::size_t plane = g.height * g.width, image = g.channels * plane;
  for (int r = 0; r < rows; ++r) {
    const int y0 = top + row_top(r);
    if (static_cast<std::size_t>(r) < g.row_labels.size()) {
      canvas.text(margin, y0 + (cell_h - Canvas::text_height(text_scale)) / 2, g.row_labels[r],
                  text_color, text_scale);
    }
    for (std::size_t c = 0; c < g.cells[r].size(); ++c) {
      const long index = g.cells[r][c];
      if (index < 0) continue;
      if (static_cast<std::size_t>(index) >= g.count) fail("internal: grid image ", index, " of ", g.count);
      const float* pixels = g.images + static_cast<std::size_t>(index) * image;
      const int x0 = left + static_cast<int>(c) * (column_w + gap) + (column_w - cell_w) / 2;
      for (std::size_t y = 0; y < g.height; ++y) {
        for (std::size_t x = 0; x < g.width; ++x) {
          const std::size_t p = y * g.width + x;
          Rgb color;
          color.r = level_to_byte(pixels[p], g.levels, g.dark_ink);
          color.g = g.channels == 3 ? level_to_byte(pixels[plane + p], g.levels, g.dark_ink) : color.r;
          color.b = g.channels == 3 ? level_to_byte(pixels[2 * plane + p], g.levels, g.dark_ink) : color.r;
          const int px = x0 + static_cast<int>(x) * g.zoom, py = y0 + static_cast<int>(y) * g.zoom;
          canvas.fill_rect(px, py, px + g.zoom, py + g.zoom, color);
        }
      }
    }
  }
  return canvas;
}

}  // namespace diffuse::cli
