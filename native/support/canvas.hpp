#pragma once
// A small RGB raster for plots: alpha-blended anti-aliased discs, rectangles, lines and text in a
// built-in bitmap font (stb_easy_font: glyphs made of unit rectangles, drawn at an integer scale
// so that they stay crisp), encoded as PNG by stb_image_write.
#include <cstdint>
#include <string>
#include <vector>

namespace diffuse::cli {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

class Canvas {
 public:
  Canvas(int width, int height, Rgb background);

  int width() const { return width_; }
  int height() const { return height_; }
  Rgb pixel(int x, int y) const;

  // Blends color over the pixel with opacity alpha in [0, 1]; pixels outside are ignored.
  void blend(int x, int y, Rgb color, float alpha);
  // The axis-aligned rectangle [x0, x1) x [y0, y1), clipped to the canvas.
  void fill_rect(int x0, int y0, int x1, int y1, Rgb color, float alpha = 1.0f);
  // A disc of radius r centred at (cx, cy) (pixel centres at half-integers), its edge
  // anti-aliased over one pixel; only pixels inside [clip_x0, clip_x1) x [clip_y0, clip_y1).
  void disc(float cx, float cy, float r, Rgb color, float alpha, int clip_x0, int clip_y0,
            int clip_x1, int clip_y1);
  void hline(int x0, int x1, int y, Rgb color, int thickness = 1);
  void vline(int x, int y0, int y1, Rgb color, int thickness = 1);

  // Text with its top-left corner at (x, y), `scale` pixels per font unit; printable ASCII only
  // (other characters become '?').
  void text(int x, int y, const std::string& text, Rgb color, int scale = 2);
  // The size the same text would take.
  static int text_width(const std::string& text, int scale = 2);
  static int text_height(int scale = 2);

  // The image as PNG bytes (8-bit RGB).
  std::string encode_png() const;

 private:
  int width_, height_;
  std::vector<std::uint8_t> pixels_;  // (height, width, 3) row-major
};

}  // namespace diffuse::cli
