#include "hmi/navigation.hpp"

#include <algorithm>
#include <utility>

#include "hmi/char_grid.hpp"
#include "hmi/pin_throttle.hpp"

namespace btms::hmi {

namespace {

int clamp_index(int value, int count) {
  return count <= 0 ? 0 : std::clamp(value, 0, count - 1);
}

int strings_of(const SiteView& site, int ups_id) {
  const auto* ups = site.find_ups(ups_id);
  return ups ? static_cast<int>(ups->string_ids.size()) : 0;
}

int batteries_of(const SiteView& site, int string_id) {
  const auto* str = site.find_string(string_id);
  return str ? static_cast<int>(str->batteries.size()) : 0;
}

// Moves `index` in a list of `count` items paged by `page`: arrows by one, PgUp/PgDn by a page
// (to the same place on the next page), Home/End to the first/last item.
bool move(int& index, int count, int page, Key key, int step = 1) {
  switch (key) {
    case Key::up:
    case Key::left:
      index -= step;
      break;
    case Key::down:
    case Key::right:
      index += step;
      break;
    case Key::page_up:
      index -= page;
      break;
    case Key::page_down:
      // The last page may be short: land on its last item rather than stay.
      if (index / page < (count - 1) / page) index = std::min(index + page, count - 1);
      break;
    case Key::home:
      index = 0;
      break;
    case Key::end:
      index = count - 1;
      break;
    default:
      return false;
  }
  index = clamp_index(index, count);
  return true;
}

}  // namespace

int battery_rows(int height) {
  // Title, banner, string summary, column header, page line, status and help: 7 rows.
  return std::max(1, height - 7);
}

int battery_columns(int width) {
  return std::max(1, width / 40);
}

int batteries_per_page(int width, int height) {
  return battery_rows(height) * battery_columns(width);
}

void type_character(Nav& nav, char32_t ch) {
  if (nav.entering_pin) {
    if (ch >= U'0' && ch <= U'9' && nav.pin_digits.size() < kMaxPinDigits) {
      nav.pin_digits.push_back(static_cast<char>(ch));
    }
    return;
  }
  if (!nav.editing || ch < 0x20 || ch == 0x7F || nav.edit_text.size() >= kMaxNameChars) return;
  nav.edit_text.push_back(ch);
}

namespace {

// Starts naming what is selected on the tiles or UPS screen, with its current name to edit.
void start_rename(Nav& nav, const SiteView& site) {
  std::string target;
  std::string current;
  if (nav.screen == Screen::tiles && !site.upses().empty()) {
    const auto& u = site.upses()[static_cast<std::size_t>(
        clamp_index(nav.tile, static_cast<int>(site.upses().size())))];
    target = "ups/" + std::to_string(u.id);
    current = u.name;
  } else if (nav.screen == Screen::ups) {
    const auto* ups = site.find_ups(nav.ups_id);
    if (!ups || ups->string_ids.empty()) return;
    const auto* s = site.find_string(ups->string_ids[static_cast<std::size_t>(
        clamp_index(nav.string_row, static_cast<int>(ups->string_ids.size())))]);
    if (!s) return;
    target = "string/" + std::to_string(s->id);
    current = s->name;
  } else {
    return;
  }
  nav.editing = true;
  nav.edit_target = target;
  nav.edit_text.clear();
  nav.edit_text = decode_utf8(current);
}

// An acknowledgement goes out at once, or first asks for the PIN when the display has one.
Command acknowledgement(Nav& nav, Command command) {
  if (!nav.pin_required) return command;
  nav.entering_pin = true;
  nav.pin_digits.clear();
  nav.pending_ack = std::move(command);
  return {};
}

}  // namespace

Command handle_key(Nav& nav, Key key, const SiteView& site, int width, int height) {
  if (nav.entering_pin) {
    // Only Enter, Esc and Backspace act while the PIN is typed; digits come as characters.
    if (key == Key::escape) {
      nav.entering_pin = false;
      nav.pin_digits.clear();
    } else if (key == Key::backspace && !nav.pin_digits.empty()) {
      nav.pin_digits.pop_back();
    } else if (key == Key::enter && !nav.pin_digits.empty()) {
      nav.entering_pin = false;
      Command command = nav.pending_ack;
      command.pin = std::exchange(nav.pin_digits, {});
      return command;
    }
    return {};
  }
  if (nav.editing) {
    // Only Enter, Esc and Backspace act while naming; the rest is typed (type_character).
    if (key == Key::escape) {
      nav.editing = false;
    } else if (key == Key::backspace && !nav.edit_text.empty()) {
      nav.edit_text.pop_back();
    } else if (key == Key::enter) {
      nav.editing = false;
      Command command;
      command.kind = Command::Kind::rename;
      command.target = nav.edit_target;
      command.name = encode_utf8(nav.edit_text);
      return command;
    }
    return {};
  }
  if (key == Key::quit) return {Command::Kind::quit, {}, {}, {}, {}, {}};
  if (site.standalone &&
      (key == Key::rename || key == Key::acknowledge || key == Key::acknowledge_all)) {
    return {};  // read-only: the status line says so
  }
  if (key == Key::rename) {
    start_rename(nav, site);
    return {};
  }
  if (key == Key::alarms && nav.screen != Screen::alarms) {
    nav.before_alarms = nav.screen;
    nav.screen = Screen::alarms;
    nav.alarm_row = 0;
    return {};
  }
  if (key == Key::acknowledge_all) {
    return acknowledgement(nav, {Command::Kind::acknowledge, {}, "", {}, {}, {}});
  }
  switch (nav.screen) {
    case Screen::tiles: {
      const int count = static_cast<int>(site.upses().size());
      // Left/right walk the tiles; up/down jump a row of four; PgUp/PgDn/Home/End page.
      if (key == Key::up || key == Key::down) {
        move(nav.tile, count, kTilesPerPage, key, kTilesPerPage / 2);
      } else if (key == Key::home || key == Key::end) {
        // First / last page, as on the seed panel.
        nav.tile = key == Key::home ? 0 : ((count - 1) / kTilesPerPage) * kTilesPerPage;
        nav.tile = clamp_index(nav.tile, count);
      } else if (key == Key::page_down) {
        const int next = (nav.tile / kTilesPerPage + 1) * kTilesPerPage;
        if (next < count) nav.tile = next;
      } else if (key == Key::page_up) {
        nav.tile = clamp_index((nav.tile / kTilesPerPage - 1) * kTilesPerPage, count);
      } else if (key == Key::enter && count > 0) {
        nav.ups_id = site.upses()[static_cast<std::size_t>(clamp_index(nav.tile, count))].id;
        nav.string_row = 0;
        nav.screen = Screen::ups;
      } else {
        move(nav.tile, count, kTilesPerPage, key);
      }
      break;
    }
    case Screen::ups: {
      const int count = strings_of(site, nav.ups_id);
      if (key == Key::escape) {
        nav.screen = Screen::tiles;
      } else if (key == Key::enter && count > 0) {
        nav.string_id =
            site.find_ups(nav.ups_id)->string_ids[static_cast<std::size_t>(nav.string_row)];
        nav.battery = 0;
        nav.screen = Screen::string;
      } else {
        move(nav.string_row, count, std::max(count, 1), key);
      }
      break;
    }
    case Screen::string: {
      const int count = batteries_of(site, nav.string_id);
      const int page = batteries_per_page(width, height);
      const int rows = battery_rows(height);
      if (key == Key::escape) {
        nav.screen = Screen::ups;
      } else if (key == Key::enter && count > 0) {
        nav.screen = Screen::battery;
      } else if (key == Key::left || key == Key::right) {
        move(nav.battery, count, page, key, rows);  // the neighbouring column
      } else if (key == Key::home || key == Key::end) {
        // First / last page.
        nav.battery = key == Key::home ? 0 : ((count - 1) / page) * page;
        nav.battery = clamp_index(nav.battery, count);
      } else if (key == Key::page_down) {
        const int next = (nav.battery / page + 1) * page;
        if (next < count) nav.battery = next;
      } else if (key == Key::page_up) {
        nav.battery = clamp_index((nav.battery / page - 1) * page, count);
      } else {
        move(nav.battery, count, page, key);
      }
      break;
    }
    case Screen::battery: {
      const int count = batteries_of(site, nav.string_id);
      if (key == Key::escape) {
        nav.screen = Screen::string;
      } else if (key == Key::up || key == Key::down || key == Key::left || key == Key::right) {
        move(nav.battery, count, 1, key);  // the previous / next battery of the string
      }
      break;
    }
    case Screen::alarms: {
      const int count = static_cast<int>(site.alarms().size());
      if (key == Key::escape) {
        nav.screen = nav.before_alarms == Screen::alarms ? Screen::tiles : nav.before_alarms;
      } else if ((key == Key::enter || key == Key::acknowledge) && count > 0) {
        const auto& alarm =
            site.alarms()[static_cast<std::size_t>(clamp_index(nav.alarm_row, count))];
        if (!alarm.acknowledged) {
          return acknowledgement(nav, {Command::Kind::acknowledge, alarm.key, {}, {}, {}, {}});
        }
      } else {
        move(nav.alarm_row, count, std::max(1, height - 7), key);
      }
      break;
    }
  }
  return {};
}

bool follow_alarms(Nav& nav, const SiteView& site) {
  bool take_over = false;
  for (const auto& alarm : site.alarms()) {
    if (nav.seen_alarm_keys.insert(alarm.key).second && !alarm.acknowledged &&
        (alarm.severity == "alarm" || alarm.severity == "trip")) {
      take_over = true;
    }
  }
  // Keys that are gone may come back later and must take over again.
  for (auto it = nav.seen_alarm_keys.begin(); it != nav.seen_alarm_keys.end();) {
    const bool present = std::any_of(site.alarms().begin(), site.alarms().end(),
                                     [&](const AlarmView& a) { return a.key == *it; });
    it = present ? std::next(it) : nav.seen_alarm_keys.erase(it);
  }
  nav.alarm_row = clamp_index(nav.alarm_row, static_cast<int>(site.alarms().size()));
  if (!take_over) return false;
  if (nav.screen != Screen::alarms) nav.before_alarms = nav.screen;
  nav.screen = Screen::alarms;
  nav.alarm_row = 0;  // most severe first, as the gateway sorts them
  return true;
}

Command handle_click(Nav& nav, const Hotspot& hit, const SiteView& site, int width, int height) {
  if (hit.screen != nav.screen) return {};
  switch (hit.screen) {
    case Screen::tiles:
      nav.tile = hit.index;
      break;
    case Screen::ups:
      nav.string_row = hit.index;
      break;
    case Screen::string:
      nav.battery = hit.index;
      break;
    case Screen::alarms:
      nav.alarm_row = hit.index;
      return {};  // a click selects; acknowledging stays a deliberate key press
    case Screen::battery:
      return {};
  }
  return handle_key(nav, Key::enter, site, width, height);
}

}  // namespace btms::hmi
