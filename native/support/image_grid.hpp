#pragma once
// Images laid out in a grid as one PNG: generated samples (one row per class for --class all)
// and denoising strips (one row per sample, one column per frame). Pixels are in data units,
// 0 .. levels - 1; values outside (a noisy x_t) are clipped for display. One channel is grey,
// three are RGB.
#include <cstddef>
#include <string>
#include <vector>

#include "support/canvas.hpp"

namespace diffuse::cli {

struct ImageGrid {
  const float* images = nullptr;  // (count, C, H, W) in data units
  std::size_t count = 0, channels = 1, height = 0, width = 0;
  int levels = 256;
  bool dark_ink = false;  // high values drawn dark (digits' ink), else light (Fashion-MNIST)
  // cells[r][c]: the image drawn in row r, column c, or -1 for an empty cell.
  std::vector<std::vector<long>> cells;
  std::vector<std::string> row_labels;     // empty, or one per row (drawn at the left)
  std::vector<std::string> column_labels;  // empty, or one per column (drawn above)
  std::string title;                       // empty, or a line above everything
  int zoom = 1;                            // screen pixels per image pixel
  std::size_t row_group = 0;               // > 0: a wider gap after every row_group rows
};

// Throws Error if an image index is out of range, the channels are not 1 or 3, or the picture
// would exceed 16384 pixels on a side.
Canvas image_grid_draw(const ImageGrid& grid);

// Row-major cells of `count` images in rows of `columns`: image i at (i / columns, i % columns).
std::vector<std::vector<long>> grid_cells_in_order(std::size_t count, std::size_t columns);

// Cells for samples whose class is i mod K (--class all): row k holds samples k, k + K, ...
std::vector<std::vector<long>> grid_cells_by_class(std::size_t count, std::size_t classes);

// The zoom that makes an image side about `target` screen pixels (at least 1).
int grid_zoom_for(std::size_t side, int target = 48);

}  // namespace diffuse::cli
