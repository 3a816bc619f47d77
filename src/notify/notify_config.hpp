// Reads the site file's [notify] tables (documented in docs/notifications.md): routing timings,
// the mail server and the recipients. Every problem is reported with file, line, key and reason
// (model::ConfigError), all in one pass, as the site parser does.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "model/config/config_parser.hpp"
#include "notify/notify_settings.hpp"

namespace btms::notify {

struct NotifyConfigResult {
  NotifySettings settings;  // enabled = false when the file has no [notify]
  std::vector<model::ConfigError> errors;
};

// gateways: at the aggregator, the site's gateway names: a recipient's sources are then "site",
// a gateway's name or a gateway's source under its name ("hall-a/string/3"). Empty at a gateway.
NotifyConfigResult parse_notify_config_string(std::string_view toml_text, std::string file_name,
                                              const std::vector<std::string>& gateways = {});
NotifyConfigResult parse_notify_config_file(const std::string& path);

// For the CLI: the [notify] settings of a site file, or nullopt after printing every problem
// (file:line: key: reason) to `errors`. An empty path (the built-in demo site) = off.
std::optional<NotifySettings> load_notify_settings(const std::string& site_file,
                                                   std::ostream& errors);

// "22:00-06:00" -> start and end minute of the day; false when malformed.
bool parse_quiet_hours(std::string_view text, int& start_min, int& end_min);

}  // namespace btms::notify
