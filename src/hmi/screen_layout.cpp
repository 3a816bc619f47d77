#include "hmi/screen_layout.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace btms::hmi {

namespace {

constexpr int kTitleRow = 0;
constexpr int kBannerRow = 1;
constexpr int kContentTop = 2;

struct Canvas {
  const SiteView& site;
  const Nav& nav;
  const RenderInput& in;
  Frame& frame;

  CharGrid& grid() { return frame.grid; }
  int content_bottom() const { return in.height - 2; }  // exclusive: status and help rows below
  bool link_up() const { return site.link.state == LinkState::connected; }
};

std::string number(const Reading& r, int decimals, std::string_view unit = {}) {
  if (!r.known()) return "--";
  auto text = fmt::format("{:.{}f}", r.value, decimals);
  if (!unit.empty()) text += fmt::format(" {}", unit);
  return text;
}

// How a value is drawn: dim when it is not fresh, the link is down, or it is old.
Style value_style(const Canvas& c, const Reading& r, Style normal = Style::normal) {
  if (!r.fresh() || !c.link_up()) return Style::dim;
  if (c.in.gateway_now_ms > 0 && c.in.gateway_now_ms - r.time_ms > kOldValue_ms) return Style::dim;
  return normal;
}

// "UPS 3 Hall A"; just "UPS 3" when the name is empty or already says exactly that.
std::string ups_label(const UpsView& u) {
  const auto plain = fmt::format("UPS {}", u.id);
  return u.name.empty() || u.name == plain ? plain : plain + " " + u.name;
}

std::string string_label(const StringView& s) {
  const auto plain = fmt::format("String {}", s.id);
  return s.name.empty() || s.name == plain ? plain : plain + " " + s.name;
}

std::string age_text(std::int64_t age_ms) {
  if (age_ms < 0) age_ms = 0;
  if (age_ms < 120'000) return fmt::format("{} s", age_ms / 1000);
  if (age_ms < 2 * 3'600'000) return fmt::format("{} min", age_ms / 60'000);
  return fmt::format("{} h", age_ms / 3'600'000);
}

bool battery_has_alarm(const SiteView& site, int string_id, int position) {
  const auto source = fmt::format("battery/{}/{}", string_id, position);
  return std::any_of(site.alarms().begin(), site.alarms().end(),
                     [&](const AlarmView& a) { return a.source == source; });
}

void draw_title(Canvas& c) {
  auto& g = c.grid();
  g.fill_row(kTitleRow, Style::title);
  std::string path = " BTMS";
  if (!c.site.site_name().empty()) path += " · " + c.site.site_name();
  const auto* ups = c.site.find_ups(c.nav.ups_id);
  const auto* str = c.site.find_string(c.nav.string_id);
  switch (c.nav.screen) {
    case Screen::tiles:
      path += " › UPS overview";
      break;
    case Screen::battery:
    case Screen::string:
    case Screen::ups:
      if (ups) path += " › " + ups_label(*ups);
      if (c.nav.screen != Screen::ups && str) path += " › " + string_label(*str);
      if (c.nav.screen == Screen::battery) {
        path += fmt::format(" › Battery {}/{}", c.nav.string_id, c.nav.battery + 1);
      }
      break;
    case Screen::alarms:
      path += " › Alarms";
      break;
  }
  const int clock_width = static_cast<int>(decode_utf8(c.in.clock_text).size());
  g.put(0, kTitleRow, path, Style::title, g.width() - clock_width - 2);
  g.put_right(g.width() - 1, kTitleRow, c.in.clock_text, Style::title);
}

void draw_banner(Canvas& c) {
  auto& g = c.grid();
  if (!c.link_up()) {
    const auto lost_ms =
        c.site.link.lost_since_ms > 0 ? c.in.local_now_ms - c.site.link.lost_since_ms : 0;
    // Before the first attempt failed the detail is the gateway's address; after, the reason.
    const auto& detail = c.site.link.detail;
    std::string text =
        c.site.standalone
            ? (c.site.link.state == LinkState::connecting
                   ? fmt::format(" READING the field bus {}", detail)
                   : fmt::format(" BUS DOWN for {}: {} - last values shown greyed, retrying",
                                 age_text(lost_ms), detail))
        : c.site.link.state != LinkState::connecting ? std::string()
        : detail == c.site.gateway_name
            ? fmt::format(" CONNECTING to the gateway {}", detail)
            : fmt::format(" CONNECTING to the gateway {}: {}", c.site.gateway_name, detail);
    if (text.empty()) {
      text = fmt::format(" LINK LOST for {}: {} - last values shown greyed, reconnecting",
                         age_text(lost_ms), detail);
    }
    g.fill_row(kBannerRow, Style::banner);
    g.put(0, kBannerRow, text, Style::banner);
    return;
  }
  if (const auto* top = c.site.top_unacknowledged()) {
    std::string severity = top->severity;
    std::transform(severity.begin(), severity.end(), severity.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    const int more = c.site.unacknowledged() - 1;
    std::string text = fmt::format(" {} {}: {}", severity, top->source, top->text);
    if (more > 0) text += fmt::format("  (+{} more)", more);
    const bool red = top->severity == "alarm" || top->severity == "trip";
    g.fill_row(kBannerRow, red ? Style::banner : Style::warning);
    g.put(0, kBannerRow, text, red ? Style::banner : Style::warning);
  }
}

void draw_status(Canvas& c) {
  auto& g = c.grid();
  const int y = c.in.height - 2;
  g.fill_row(y, Style::title);
  const auto link = c.site.link.state == LinkState::connected ? "● link ok" : "○ link down";
  std::string text = fmt::format(" {} │ gateway {} │ {} │ alarms {} ({} unacknowledged)", link,
                                 c.site.gateway_name, c.site.operator_role ? "operator" : "viewer",
                                 c.site.alarms().size(), c.site.unacknowledged());
  if (c.site.standalone) {
    // No engine runs here: no alarms, SOC or SOH; and a display reading the buses never writes.
    text = fmt::format(
        " {} │ standalone: read-only │ bus {} │ no alarms, SOC, SOH without a gateway",
        c.site.link.state == LinkState::connected ? "● bus ok" : "○ bus down", c.site.gateway_name);
  }
  g.put(0, y, text, Style::title);
  if (!c.link_up()) g.paint(1, y, c.site.standalone ? 10 : 11, Style::banner);
  if (!c.site.notice.empty()) {
    g.put_right(g.width() - 1, y, " " + c.site.notice, Style::warning);
  }
}

void draw_help(Canvas& c) {
  auto& g = c.grid();
  const int y = c.in.height - 1;
  std::string text;
  switch (c.nav.screen) {
    case Screen::tiles:
      text = " ←→↑↓ Enter open  Home/PgUp/PgDn/End pages  r rename  ! alarms  q quit";
      break;
    case Screen::ups:
      text = " ↑↓ select string  Enter open  r rename  Esc back  ! alarms  q quit";
      break;
    case Screen::string:
      text = " ←→↑↓ Enter detail  Home/PgUp/PgDn/End pages  Esc back  ! alarms  q quit";
      break;
    case Screen::battery:
      text = " ←→ previous/next battery  Esc back  ! alarms  q quit";
      break;
    case Screen::alarms:
      text = c.site.operator_role
                 ? " ↑↓ select  Enter/a acknowledge  A acknowledge all  Esc back  q quit"
                 : " ↑↓ select  Esc back  q quit  (acknowledging needs an operator token)";
      break;
  }
  if (c.site.standalone) {
    // Nothing to rename or acknowledge on a display that only reads the buses.
    for (const std::string_view action :
         {"  r rename", "  Enter/a acknowledge", "  A acknowledge all",
          "  (acknowledging needs an operator token)"}) {
      if (const auto at = text.find(action); at != std::string::npos) text.erase(at, action.size());
    }
  }
  if (c.nav.editing) {
    // The name being typed, with a cursor; Enter saves it on the gateway.
    text = fmt::format(" Name of {}: {}_   Enter save  Esc cancel", c.nav.edit_target,
                       encode_utf8(c.nav.edit_text));
  }
  if (c.nav.entering_pin) {
    // One star per digit typed: the PIN itself is never on the screen.
    const auto& ack = c.nav.pending_ack;
    const std::string what = !ack.key.empty()     ? ack.key.substr(0, ack.key.find(':'))
                             : ack.source.empty() ? std::string("all alarms")
                                                  : ack.source;
    text = fmt::format(" PIN to acknowledge {}: {}_   Enter confirm  Esc cancel", what,
                       std::string(c.nav.pin_digits.size(), '*'));
  }
  g.fill_row(y, Style::help);
  g.put(0, y, text, Style::help);
}

void draw_tiles(Canvas& c) {
  auto& g = c.grid();
  const auto& upses = c.site.upses();
  const int count = static_cast<int>(upses.size());
  const int page = c.nav.tile / kTilesPerPage;
  const int pages = std::max(1, (count + kTilesPerPage - 1) / kTilesPerPage);
  const int area_h = c.content_bottom() - kContentTop - 1;  // last row: page line
  const int tile_w = g.width() / 4;
  const int tile_h = std::min(9, std::max(4, area_h / 2));
  for (int k = 0; k < kTilesPerPage; ++k) {
    const int index = page * kTilesPerPage + k;
    if (index >= count) break;
    const auto& u = upses[static_cast<std::size_t>(index)];
    const int x = (k % 4) * tile_w;
    const int y = kContentTop + (k / 4) * tile_h;
    const bool selected = index == c.nav.tile;
    const int alarms = c.site.alarms_of_ups(u.id);
    const Style frame_style = selected     ? Style::selected
                              : alarms > 0 ? Style::alarm
                                           : Style::normal;
    g.box(x, y, tile_w - 1, tile_h, frame_style);
    g.put(x + 2, y, fmt::format(" UPS {} ", u.id), frame_style, tile_w - 5);
    const int inner = tile_w - 4;
    int row = y + 1;
    const auto line = [&](const std::string& text, Style style) {
      if (row < y + tile_h - 1) g.put(x + 2, row++, text, style, inner);
    };
    line(u.name.empty() ? "-" : u.name, selected ? Style::selected : Style::normal);
    line(fmt::format("{} strings", u.string_ids.size()), Style::normal);
    line(fmt::format("{}  {}", number(u.voltage, 1, "V"), number(u.current, 1, "A")),
         value_style(c, u.voltage));
    line(fmt::format("SOC {}", number(u.soc, 0, "%")), value_style(c, u.soc));
    line(alarms > 0 ? fmt::format("ALARMS {}", alarms) : std::string("no alarms"),
         alarms > 0 ? Style::alarm : Style::ok);
    c.frame.hotspots.push_back(Hotspot{x, y, tile_w - 1, tile_h, Screen::tiles, index});
  }
  const int first = count == 0 ? 0 : page * kTilesPerPage + 1;
  const int last = std::min(count, (page + 1) * kTilesPerPage);
  g.put(1, c.content_bottom() - 1,
        fmt::format("Page {}/{}   UPS {}-{} of {}", page + 1, pages, first, last, count));
}

void draw_ups(Canvas& c) {
  auto& g = c.grid();
  const auto* ups = c.site.find_ups(c.nav.ups_id);
  if (!ups) {
    g.put(1, kContentTop, "This UPS is not in the gateway's topology.", Style::warning);
    return;
  }
  g.put(1, kContentTop,
        fmt::format("{}   {}   {}   SOC {}", ups_label(*ups), number(ups->voltage, 1, "V"),
                    number(ups->current, 1, "A"), number(ups->soc, 0, "%")),
        value_style(c, ups->voltage));
  const int header = kContentTop + 1;
  g.put(1, header,
        fmt::format("{:<4}{:<22}{:<14}{:>10}{:>10}{:>7}{:>9}{:>8}", "#", "Name", "State", "Volt V",
                    "Curr A", "SOC", "Balance", "Alarms"),
        Style::title);
  for (std::size_t k = 0; k < ups->string_ids.size(); ++k) {
    const int y = header + 1 + static_cast<int>(k);
    if (y >= c.content_bottom()) break;
    const auto* s = c.site.find_string(ups->string_ids[k]);
    if (!s) continue;
    const int alarms = c.site.alarms_of_string(s->id);
    const bool selected = static_cast<int>(k) == c.nav.string_row;
    const auto state = s->state.known() ? std::string(string_state_name(s->state.value)) : "--";
    g.put(1, y,
          fmt::format("{:<4}{:<22.21}{:<14}{:>10}{:>10}{:>7}{:>9}{:>8}", s->id, s->name, state,
                      number(s->voltage, 2), number(s->current, 1), number(s->soc, 0, "%"),
                      number(s->balance, 0, "%"), alarms),
          selected     ? Style::selected
          : alarms > 0 ? Style::alarm
                       : value_style(c, s->voltage));
    if (selected) g.paint(0, y, g.width(), Style::selected);
    c.frame.hotspots.push_back(Hotspot{0, y, g.width(), 1, Screen::ups, static_cast<int>(k)});
  }
}

void draw_string(Canvas& c) {
  auto& g = c.grid();
  const auto* s = c.site.find_string(c.nav.string_id);
  if (!s) {
    g.put(1, kContentTop, "This string is not in the gateway's topology.", Style::warning);
    return;
  }
  const auto state = s->state.known() ? std::string(string_state_name(s->state.value)) : "--";
  const std::string relay = !s->relay_closed.known()      ? ""
                            : s->relay_closed.value > 0.5 ? "relay closed"
                                                          : "RELAY OPEN";
  g.put(1, kContentTop,
        fmt::format("{}  {}  {}  {}  SOC {}  balance {}  {}", string_label(*s), state,
                    number(s->voltage, 2, "V"), number(s->current, 1, "A"), number(s->soc, 0, "%"),
                    number(s->balance, 0, "%"), relay),
        value_style(c, s->voltage));
  const int count = static_cast<int>(s->batteries.size());
  const int per_page = batteries_per_page(g.width(), c.in.height);
  const int rows = battery_rows(c.in.height);
  const int columns = battery_columns(g.width());
  const int page = c.nav.battery / per_page;
  const int pages = std::max(1, (count + per_page - 1) / per_page);
  const int header = kContentTop + 1;
  for (int col = 0; col < columns; ++col) {
    g.put(col * 40 + 1, header,
          fmt::format("{:>3} {:>7} {:>5} {:>6} {:>4} {:>4}", "#", "Volt V", "°C", "R mΩ", "SOC",
                      "SOH"),
          Style::title);
  }
  for (int k = 0; k < per_page; ++k) {
    const int index = page * per_page + k;
    if (index >= count) break;
    const auto& b = s->batteries[static_cast<std::size_t>(index)];
    const int x = (k / rows) * 40;
    const int y = header + 1 + k % rows;
    const bool selected = index == c.nav.battery;
    const bool alarmed = battery_has_alarm(c.site, s->id, b.position);
    const Style style = selected  ? Style::selected
                        : alarmed ? Style::alarm
                                  : value_style(c, b.voltage);
    g.put(x + 1, y,
          fmt::format("{:>3} {:>7} {:>5} {:>6} {:>4} {:>4}", b.position, number(b.voltage, 3),
                      number(b.temperature, 1), number(b.resistance, 3), number(b.soc, 0),
                      number(b.soh, 0)),
          style);
    if (selected) g.paint(x, y, 39, Style::selected);
    c.frame.hotspots.push_back(Hotspot{x, y, 39, 1, Screen::string, index});
  }
  g.put_right(g.width() - 1, header + 1 + rows,
              fmt::format("Page {}/{}  batteries {}-{} of {}", page + 1, pages,
                          count == 0 ? 0 : page * per_page + 1,
                          std::min(count, (page + 1) * per_page), count));
}

void draw_battery(Canvas& c) {
  auto& g = c.grid();
  const auto* s = c.site.find_string(c.nav.string_id);
  const auto* b = c.site.find_battery(c.nav.string_id, c.nav.battery + 1);
  if (!s || !b) {
    g.put(1, kContentTop, "This battery is not in the gateway's topology.", Style::warning);
    return;
  }
  int y = kContentTop;
  g.put(1, y++, fmt::format("Battery {}/{}  in {}", s->id, b->position, string_label(*s)));
  ++y;
  const auto row = [&](std::string_view label, const Reading& r, const std::string& value) {
    std::string quality = r.quality.empty() ? "no data" : r.quality;
    if (r.known() && c.in.gateway_now_ms > 0) {
      quality += ", " + age_text(c.in.gateway_now_ms - r.time_ms) + " old";
    }
    g.put(1, y, fmt::format("{:<14}{:>12}   {}", label, value, quality), value_style(c, r));
    ++y;
  };
  row("Voltage", b->voltage, number(b->voltage, 3, "V"));
  row("Temperature", b->temperature, number(b->temperature, 1, "°C"));
  row("Resistance", b->resistance, number(b->resistance, 3, "mΩ"));
  std::string baseline = number(b->resistance_baseline, 3, "mΩ");
  if (b->resistance.known() && b->resistance_baseline.known() && b->resistance_baseline.value > 0) {
    baseline += fmt::format(" ({:+.1f} %)",
                            (b->resistance.value / b->resistance_baseline.value - 1.0) * 100.0);
  }
  row("Baseline", b->resistance_baseline, baseline);
  row("SOC", b->soc, number(b->soc, 0, "%"));
  row("SOH", b->soh, number(b->soh, 0, "%"));
  ++y;
  const int spark_width = std::max(8, std::min(static_cast<int>(kTrendLength), g.width() - 30));
  if (b->voltage_trend.empty()) {
    g.put(1, y++, "Trend (voltage): no fresh values yet", Style::dim);
  } else {
    const auto [lo, hi] = std::minmax_element(b->voltage_trend.begin(), b->voltage_trend.end());
    g.put(1, y, "Trend (voltage) ");
    const int x = g.put(17, y, sparkline(b->voltage_trend, spark_width), Style::ok);
    g.put(x + 1, y++, fmt::format("{:.3f}..{:.3f} V", *lo, *hi));
  }
  ++y;
  const auto source = fmt::format("battery/{}/{}", s->id, b->position);
  for (const auto& a : c.site.alarms()) {
    if (a.source != source || y >= c.content_bottom()) continue;
    g.put(1, y++,
          fmt::format("{} {}{}", a.severity, a.text, a.acknowledged ? " (acknowledged)" : ""),
          a.acknowledged ? Style::warning : Style::alarm);
  }
}

void draw_alarms(Canvas& c) {
  auto& g = c.grid();
  const auto& alarms = c.site.alarms();
  if (alarms.empty()) {
    g.put(1, kContentTop + 1, "No active alarms.", Style::ok);
    return;
  }
  g.put(1, kContentTop, fmt::format("{:<8}{:<14}{:<5}{}", "Level", "Source", "Ack", "Text"),
        Style::title);
  const int rows = c.content_bottom() - kContentTop - 1;
  const int first = std::max(0, c.nav.alarm_row - rows + 1);
  for (int k = 0; k < rows; ++k) {
    const int index = first + k;
    if (index >= static_cast<int>(alarms.size())) break;
    const auto& a = alarms[static_cast<std::size_t>(index)];
    const int y = kContentTop + 1 + k;
    const bool selected = index == c.nav.alarm_row;
    const Style style = selected ? Style::selected : a.acknowledged ? Style::warning : Style::alarm;
    g.put(1, y,
          fmt::format("{:<8}{:<14}{:<5}{}", a.severity, a.source, a.acknowledged ? "yes" : "NO",
                      a.text),
          style);
    if (selected) g.paint(0, y, g.width(), Style::selected);
    c.frame.hotspots.push_back(Hotspot{0, y, g.width(), 1, Screen::alarms, index});
  }
}

}  // namespace

std::string sparkline(const std::deque<double>& values, int width) {
  static constexpr std::u32string_view kBars = U"▁▂▃▄▅▆▇█";
  if (values.empty() || width <= 0) return {};
  const auto n = std::min<std::size_t>(values.size(), static_cast<std::size_t>(width));
  const auto begin = values.end() - static_cast<std::ptrdiff_t>(n);
  const auto [lo, hi] = std::minmax_element(begin, values.end());
  std::u32string out;
  for (auto it = begin; it != values.end(); ++it) {
    const double span = *hi - *lo;
    const int level =
        span > 0 ? static_cast<int>(std::lround((*it - *lo) / span * 7.0)) : 3;  // flat: middle
    out.push_back(kBars[static_cast<std::size_t>(std::clamp(level, 0, 7))]);
  }
  return encode_utf8(out);
}

Frame render(const SiteView& site, const Nav& nav, const RenderInput& in) {
  Frame frame{CharGrid(in.width, in.height), {}};
  Canvas c{site, nav, in, frame};
  if (in.width < 40 || in.height < 10) {
    frame.grid.put(0, 0, "Terminal too small: BTMS HMI needs at least 40x10 (80x24 best).",
                   Style::warning);
    return frame;
  }
  draw_title(c);
  draw_banner(c);
  switch (nav.screen) {
    case Screen::tiles:
      draw_tiles(c);
      break;
    case Screen::ups:
      draw_ups(c);
      break;
    case Screen::string:
      draw_string(c);
      break;
    case Screen::battery:
      draw_battery(c);
      break;
    case Screen::alarms:
      draw_alarms(c);
      break;
  }
  draw_status(c);
  draw_help(c);
  return frame;
}

}  // namespace btms::hmi
