// A screen as a grid of characters with a style each, built by the layout and copied to the
// terminal by the ncurses front end. Kept apart from ncurses so every screen is tested as text.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace btms::hmi {

// What a cell means; the front end maps it to colours, or to bold/reverse/dim on a monochrome
// terminal.
enum class Style : unsigned char {
  normal,
  title,     // top bar
  selected,  // the highlighted row or tile
  dim,       // stale or old values
  ok,
  warning,
  alarm,   // an alarm or trip: red
  banner,  // the alarm / link banner: red background
  help,    // bottom line
};

struct Cell {
  char32_t ch = U' ';
  Style style = Style::normal;
};

// UTF-8 -> code points (invalid bytes become U+FFFD).
std::u32string decode_utf8(std::string_view text);
std::string encode_utf8(std::u32string_view text);

class CharGrid {
 public:
  CharGrid(int width, int height);

  int width() const { return width_; }
  int height() const { return height_; }
  const Cell& at(int x, int y) const { return cells_[static_cast<std::size_t>(y * width_ + x)]; }

  // Writes UTF-8 text from (x, y), clipped to the row and to max_width cells (< 0 = no limit);
  // returns the column after the last cell written.
  int put(int x, int y, std::string_view text, Style style = Style::normal, int max_width = -1);
  // Writes text right-aligned so that it ends at column x_end (exclusive).
  void put_right(int x_end, int y, std::string_view text, Style style = Style::normal);
  // Sets the style of cells [x, x + w) on row y (text unchanged).
  void paint(int x, int y, int w, Style style);
  void fill_row(int y, Style style);
  // A box outline with single lines.
  void box(int x, int y, int w, int h, Style style);

  // Row y as UTF-8 without trailing blanks.
  std::string row_text(int y) const;
  // Every row, '\n'-separated.
  std::string text() const;

 private:
  int width_;
  int height_;
  std::vector<Cell> cells_;
};

}  // namespace btms::hmi
