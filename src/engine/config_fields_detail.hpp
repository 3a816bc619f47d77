// Inside of the configuration codec, shared by config_fields.cpp (the field table and the
// JSON document) and config_toml.cpp (the site file's [limits] tables). Not an interface.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/config_fields.hpp"
#include "engine/engine_config.hpp"
#include "model/topology.hpp"

namespace btms::engine::config_detail {

// How one field is read and written: limit-set fields work on a LimitSet, the others on the
// EngineConfig. Every value travels as a double (integers and flags included).
struct Access {
  std::function<double(const LimitSet&)> get_limit;
  std::function<void(LimitSet&, double)> set_limit;
  std::function<double(const EngineConfig&)> get_top;
  std::function<void(EngineConfig&, double)> set_top;
};

struct Entry {
  ConfigField field;
  Access access;
};
// A problem and where it is: path like "per_string.3.battery.temperature_alarm_C".
struct Problem {
  std::string path;
  std::string reason;
};
const std::vector<Entry>& entries();
const Entry* find_entry(const std::string& name);
std::string join(const std::string& prefix, const std::string& name);
std::string number_text(double v);
std::string format_problem(const Problem& p);
// The whole document over `base`; problems collected, result valid only when none.
EngineConfig apply_document(const nlohmann::json& doc, const EngineConfig& base,
                            const model::Site* site, std::vector<Problem>& problems);

}  // namespace btms::engine::config_detail
