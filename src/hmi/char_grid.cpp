#include "hmi/char_grid.hpp"

#include <algorithm>

namespace btms::hmi {

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    int extra = 0;
    char32_t cp = 0;
    if (c < 0x80) {
      cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    if (i + static_cast<std::size_t>(extra) >= text.size()) {  // cut off inside a sequence
      out.push_back(U'\uFFFD');
      break;
    }
    bool valid = true;
    for (int k = 1; k <= extra; ++k) {
      const auto b = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
      if ((b & 0xC0) != 0x80) {
        valid = false;
        break;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    if (!valid) {
      out.push_back(U'\uFFFD');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(extra) + 1;
  }
  return out;
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  for (const char32_t cp : text) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

CharGrid::CharGrid(int width, int height)
    : width_(std::max(width, 1)),
      height_(std::max(height, 1)),
      cells_(static_cast<std::size_t>(width_ * height_)) {}

int CharGrid::put(int x, int y, std::string_view text, Style style, int max_width) {
  if (y < 0 || y >= height_) return x;
  const auto points = decode_utf8(text);
  int written = 0;
  for (const char32_t cp : points) {
    if (max_width >= 0 && written >= max_width) break;
    if (x >= width_) break;
    // Control characters from a configured name must not move the terminal's cursor.
    const char32_t shown = (cp < 0x20 || cp == 0x7F) ? U'?' : cp;
    if (x >= 0) cells_[static_cast<std::size_t>(y * width_ + x)] = Cell{shown, style};
    ++x;
    ++written;
  }
  return x;
}

void CharGrid::put_right(int x_end, int y, std::string_view text, Style style) {
  const auto n = static_cast<int>(decode_utf8(text).size());
  put(x_end - n, y, text, style);
}

void CharGrid::paint(int x, int y, int w, Style style) {
  if (y < 0 || y >= height_) return;
  for (int i = std::max(x, 0); i < std::min(x + w, width_); ++i) {
    cells_[static_cast<std::size_t>(y * width_ + i)].style = style;
  }
}

void CharGrid::fill_row(int y, Style style) {
  paint(0, y, width_, style);
}

void CharGrid::box(int x, int y, int w, int h, Style style) {
  if (w < 2 || h < 2) return;
  const auto set = [&](int cx, int cy, char32_t ch) {
    if (cx >= 0 && cx < width_ && cy >= 0 && cy < height_) {
      cells_[static_cast<std::size_t>(cy * width_ + cx)] = Cell{ch, style};
    }
  };
  for (int i = 1; i < w - 1; ++i) {
    set(x + i, y, U'─');
    set(x + i, y + h - 1, U'─');
  }
  for (int j = 1; j < h - 1; ++j) {
    set(x, y + j, U'│');
    set(x + w - 1, y + j, U'│');
  }
  set(x, y, U'┌');
  set(x + w - 1, y, U'┐');
  set(x, y + h - 1, U'└');
  set(x + w - 1, y + h - 1, U'┘');
}

std::string CharGrid::row_text(int y) const {
  std::u32string row;
  for (int x = 0; x < width_; ++x) row.push_back(at(x, y).ch);
  while (!row.empty() && row.back() == U' ') row.pop_back();
  return encode_utf8(row);
}

std::string CharGrid::text() const {
  std::string out;
  for (int y = 0; y < height_; ++y) {
    out += row_text(y);
    out += '\n';
  }
  return out;
}

}  // namespace btms::hmi
