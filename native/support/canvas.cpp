#include "support/canvas.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/error.hpp"

// stb's single-header libraries: the implementation is compiled here once. They are C written for
// many compilers, so the project's warnings do not apply to them.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wshadow"
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#define STBI_WRITE_NO_STDIO
#include <stb/stb_easy_font.h>
#include <stb/stb_image_write.h>
#pragma GCC diagnostic pop

namespace diffuse::cli {
namespace {

// stb_easy_font indexes its tables by character - 32: keep to printable ASCII.
std::string printable(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) c = '?';
  }
  return out;
}

struct FontVertex {
  float x, y, z;
  unsigned char color[4];
};
static_assert(sizeof(FontVertex) == 16, "stb_easy_font's vertex layout");

}  // namespace

Canvas::Canvas(int width, int height, Rgb background)
    : width_(width), height_(height), pixels_(static_cast<std::size_t>(width) * height * 3) {
  if (width < 1 || height < 1) fail("canvas size ", width, " x ", height, " is invalid");
  for (std::size_t i = 0; i < pixels_.size(); i += 3) {
    pixels_[i] = background.r;
    pixels_[i + 1] = background.g;
    pixels_[i + 2] = background.b;
  }
}

Rgb Canvas::pixel(int x, int y) const {
  const std::size_t i = (static_cast<std::size_t>(y) * width_ + x) * 3;
  return {pixels_[i], pixels_[i + 1], pixels_[i + 2]};
}

void Canvas::blend(int x, int y, Rgb color, float alpha) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_ || alpha <= 0) return;
  alpha = std::min(alpha, 1.0f);
  std::uint8_t* p = &pixels_[(static_cast<std::size_t>(y) * width_ + x) * 3];
  const std::uint8_t source[3] = {color.r, color.g, color.b};
  for (int c = 0; c < 3; ++c) {
    p[c] = static_cast<std::uint8_t>(std::lround(p[c] + alpha * (source[c] - p[c])));
  }
}

void Canvas::fill_rect(int x0, int y0, int x1, int y1, Rgb color, float alpha) {
  x0 = std::max(x0, 0);
  y0 = std::max(y0, 0);
  x1 = std::min(x1, width_);
  y1 = std::min(y1, height_);
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) blend(x, y, color, alpha);
  }
}

void Canvas::disc(float cx, float cy, float r, Rgb color, float alpha, int clip_x0, int clip_y0,
                  int clip_x1, int clip_y1) {
  const int x0 = std::max(static_cast<int>(std::floor(cx - r - 1)), std::max(clip_x0, 0));
  const int x1 = std::min(static_cast<int>(std::ceil(cx + r + 1)), std::min(clip_x1, width_));
  const int y0 = std::max(static_cast<int>(std::floor(cy - r - 1)), std::max(clip_y0, 0));
  const int y1 = std::min(static_cast<int>(std::ceil(cy + r + 1)), std::min(clip_y1, height_));
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) {
      const float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
      // Coverage falls from 1 to 0 across the one pixel around the circle's edge.
      const float coverage = std::clamp(r + 0.5f - std::sqrt(dx * dx + dy * dy), 0.0f, 1.0f);
      if (coverage > 0) blend(x, y, color, alpha * coverage);
    }
  }
}

void Canvas::hline(int x0, int x1, int y, Rgb color, int thickness) {
  fill_rect(std::min(x0, x1), y, std::max(x0, x1) + 1, y + thickness, color);
}

void Canvas::vline(int x, int y0, int y1, Rgb color, int thickness) {
  fill_rect(x, std::min(y0, y1), x + thickness, std::max(y0, y1) + 1, color);
}

void Canvas::text(int x, int y, const std::string& text, Rgb color, int scale) {
  std::string chars = printable(text);
  std::vector<FontVertex> quads(chars.size() * 64 + 64);  // ~270 bytes a character, per stb
  const int count = stb_easy_font_print(0, 0, chars.data(), nullptr, quads.data(),
                                        static_cast<int>(quads.size() * sizeof(FontVertex)));
  for (int q = 0; q < count; ++q) {
    const FontVertex* v = &quads[static_cast<std::size_t>(q) * 4];
    // Each quad is an axis-aligned rectangle from vertex 0 (top-left) to vertex 2 (bottom-right).
    fill_rect(x + static_cast<int>(std::lround(v[0].x * scale)),
              y + static_cast<int>(std::lround(v[0].y * scale)),
              x + static_cast<int>(std::lround(v[2].x * scale)),
              y + static_cast<int>(std::lround(v[2].y * scale)), color);
  }
}

int Canvas::text_width(const std::string& text, int scale) {
  std::string chars = printable(text);
  // stb's width counts the advance of the last character, whose last column is blank.
  return chars.empty() ? 0 : (stb_easy_font_width(chars.data()) - 1) * scale;
}

int Canvas::text_height(int scale) {
  return 7 * scale;
}

std::string Canvas::encode_png() const {
  std::string bytes;
  const auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data),
                                               static_cast<std::size_t>(size));
  };
  const int ok =
      stbi_write_png_to_func(append, &bytes, width_, height_, 3, pixels_.data(), width_ * 3);
  if (ok == 0) fail("PNG encoding failed for a ", width_, " x ", height_, " image");
  return bytes;
}

}  // namespace diffuse::cli
