// Reads a site configuration (TOML, format documented in config/example-site.toml) into a Site
// and validates it completely: every problem is reported with file, line, key and reason, so an
// operator fixes a bad file in one pass instead of one error per run.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/topology.hpp"

namespace btms::model {

struct ConfigError {
  std::string file;
  int line = 0;     // 1-based; 0 = the whole file (e.g. it cannot be read)
  std::string key;  // path such as string[3].batteries (array positions are 1-based); "" = none
  std::string reason;
};

// "file:line: key: reason"; the line is left out when 0 and the key when empty.
std::string format_error(const ConfigError& error);

struct ConfigResult {
  std::optional<Site> site;  // set only when errors is empty
  std::vector<ConfigError> errors;
};

ConfigResult parse_config_string(std::string_view toml_text, std::string file_name);
// An unreadable file gives exactly one error.
ConfigResult parse_config_file(const std::string& path);

// Multi-line human summary for `btms config check`.
std::string summarize(const Site& site);

// I/O points are written "mc:K" (the MC's own input or relay K) or "lcJ:K" (point K of BM-LC J).
// parse_io_point checks only the syntax (J >= 1, K >= 1); the parser checks the ranges.
std::optional<IoPoint> parse_io_point(std::string_view text);
std::string format_io_point(const IoPoint& point);

}  // namespace btms::model
