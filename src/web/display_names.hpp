// Display names of UPSs and strings given by operators (from the local display or the API),
// over the names of the site file: shown in /api/v1/topology, the web UI and the HMI. Kept in
// the gateway's data folder (display-names.json) so they survive restarts without rewriting the
// site file. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace btms::web {

// Longest display name, in characters (a tile of the 80-column display shows 15).
inline constexpr std::size_t kMaxDisplayNameChars = 40;

class DisplayNames {
 public:
  // path empty = kept in memory only. A missing file is an empty set; an unreadable or malformed
  // one is ignored with the names of the site file in force (a log line says so).
  explicit DisplayNames(std::string path);

  std::optional<std::string> name_of(std::string_view target) const;  // "ups/1", "string/3"
  std::map<std::string, std::string> all() const;
  // Sets (or with an empty name removes) the names and saves the file (write, then rename).
  // Throws std::runtime_error when the file cannot be written; nothing changes then.
  void set(const std::map<std::string, std::string>& names);

 private:
  std::string path_;
  mutable std::mutex mutex_;
  std::map<std::string, std::string> names_;
};

// Why a display name is refused ("" = fine): at most kMaxDisplayNameChars UTF-8 characters, no
// control characters.
std::string display_name_problem(std::string_view name);

}  // namespace btms::web
