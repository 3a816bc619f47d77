// Draws the display's screens from the site view and the navigation state into a character
// grid: title bar, banner (alarm or link), the screen itself, status line and help line. The
// ncurses front end only copies the grid; tests compare it as text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hmi/char_grid.hpp"
#include "hmi/navigation.hpp"
#include "hmi/site_view.hpp"

namespace btms::hmi {

struct Frame {
  CharGrid grid;
  std::vector<Hotspot> hotspots;  // clickable items
};

struct RenderInput {
  int width = 80;
  int height = 24;
  std::string clock_text;  // shown at the right of the title bar ("2026-12-05 04:40:12")
  // The gateway's clock now (estimated from its last message and the time passed since): ages
  // of values are measured on it.
  std::int64_t gateway_now_ms = 0;
  std::int64_t local_now_ms = 0;  // for the link-lost duration
};

// Values older than this on the gateway's clock are drawn dim, whatever their quality.
inline constexpr std::int64_t kOldValue_ms = 10'000;

Frame render(const SiteView& site, const Nav& nav, const RenderInput& in);

// "▁▂▃▄▅▆▇█" sparkline of values scaled between their min and max, at most `width` wide (the
// newest values).
std::string sparkline(const std::deque<double>& values, int width);

}  // namespace btms::hmi
