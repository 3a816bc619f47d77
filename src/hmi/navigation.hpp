// Which screen the display shows and what is selected on it, and how keys, clicks and new
// alarms move between screens. Pure: no terminal, no network; the front end turns key codes
// into Key values and carries out the Command a key asks for.
#pragma once

#include <set>
#include <string>

#include "hmi/site_view.hpp"

namespace btms::hmi {

enum class Screen { tiles, ups, string, battery, alarms };

// UPS tiles per page (the seed panel's eight).
inline constexpr int kTilesPerPage = 8;

enum class Key {
  up,
  down,
  left,
  right,
  page_up,
  page_down,
  home,
  end,
  enter,
  escape,
  acknowledge,      // 'a': the selected alarm
  acknowledge_all,  // 'A': every unacknowledged alarm of the site
  alarms,           // '!': go to the alarm screen
  rename,           // 'r': name the selected UPS (tiles) or string (UPS screen)
  backspace,        // while naming
  quit,             // 'q'
};

struct Command {
  enum class Kind { none, acknowledge, rename, quit } kind = Kind::none;
  std::string key;     // acknowledge one alarm (by key)...
  std::string source;  // ...or every alarm of a source ("" = the whole site) when key is empty
  std::string target;  // rename: "ups/3" or "string/5"
  std::string name;    // rename: the new name (UTF-8)
  std::string pin;     // acknowledge on a display with a PIN: the digits typed (checked by the
                       // front end against the stored hash before anything is sent)
};

struct Nav {
  Screen screen = Screen::tiles;
  Screen before_alarms = Screen::tiles;  // where Esc returns from the alarm screen
  int tile = 0;                          // selected UPS index (its page is tile / kTilesPerPage)
  int ups_id = 0;                        // UPS screen
  int string_row = 0;
  int string_id = 0;  // string screen
  int battery = 0;    // selected battery index (its page follows from the page size)
  int alarm_row = 0;
  // Alarm keys already seen: a key not in here that is an unacknowledged alarm or trip takes the
  // screen over (once; Esc leaves it).
  std::set<std::string> seen_alarm_keys;
  // Naming a UPS or string: the keyboard types into edit_text until Enter (save) or Esc.
  bool editing = false;
  std::string edit_target;  // "ups/3", "string/5"
  std::u32string edit_text;
  // A display with an acknowledgement PIN: an acknowledgement asked for waits in pending_ack
  // while the digits are typed (drawn as '*'), until Enter (sent with the PIN) or Esc (dropped).
  bool pin_required = false;
  bool entering_pin = false;
  std::string pin_digits;
  Command pending_ack;
};

// Longest name typed on the panel (the gateway's limit).
inline constexpr std::size_t kMaxNameChars = 40;

// A printable character typed while naming, or a digit of the PIN.
void type_character(Nav& nav, char32_t ch);

// Rows and columns of batteries on the string screen for a terminal of width x height, and
// batteries per page (rows x columns).
int battery_rows(int height);
int battery_columns(int width);
int batteries_per_page(int width, int height);

// Applies a key. The geometry decides the battery page size.
Command handle_key(Nav& nav, Key key, const SiteView& site, int width, int height);

// New unacknowledged alarms or trips take the screen over; returns true when it did.
bool follow_alarms(Nav& nav, const SiteView& site);

// A click on something the layout drew: select it and open it (as Enter would).
struct Hotspot {
  int x = 0, y = 0, w = 0, h = 0;
  Screen screen = Screen::tiles;  // the screen the item belongs to
  int index = 0;                  // tile / string row / battery / alarm row index
};
Command handle_click(Nav& nav, const Hotspot& hit, const SiteView& site, int width, int height);

}  // namespace btms::hmi
