#include "cloud/cloud_settings_edit.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "cloud/settings_api.hpp"

namespace btms::cloud {

namespace {

using nlohmann::json;
using Reason = std::optional<std::string>;

// Longer than any real credential or client id; bounds what a request can make us store.
constexpr std::size_t kMaxTextChars = 256;
constexpr std::size_t kMaxClientIdChars = 128;
constexpr std::size_t kMaxPathChars = 4096;

struct Field {
  std::string_view name;
  std::function<json(const CloudConfig&)> get;
  // Sets the field from a JSON value; the reason when the value is not fit.
  std::function<Reason(CloudConfig&, const json&)> set;
};

bool has_control_character(std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return true;
  }
  return false;
}

using TextCheck = std::function<Reason(const std::string&)>;

Field text(std::string_view name, std::string CloudConfig::*member, TextCheck check) {
  return {name, [member](const CloudConfig& c) { return json(c.*member); },
          [member, check](CloudConfig& c, const json& v) -> Reason {
            if (!v.is_string()) return "must be a string";
            const auto s = v.get<std::string>();
            if (auto reason = check(s)) return reason;
            c.*member = s;
            return std::nullopt;
          }};
}

Field flag(std::string_view name, bool CloudConfig::*member) {
  return {name, [member](const CloudConfig& c) { return json(c.*member); },
          [member](CloudConfig& c, const json& v) -> Reason {
            if (!v.is_boolean()) return "must be true or false";
            c.*member = v.get<bool>();
            return std::nullopt;
          }};
}

Field integer(std::string_view name, int CloudConfig::*member, IntegerRange range) {
  return {name, [member](const CloudConfig& c) { return json(c.*member); },
          [member, range](CloudConfig& c, const json& v) -> Reason {
            if (!v.is_number_integer()) return "must be a whole number";
            const auto n = v.get<std::int64_t>();
            if (n < range.min || n > range.max)
              return fmt::format("must be between {} and {}, got {}", range.min, range.max, n);
            c.*member = static_cast<int>(n);
            return std::nullopt;
          }};
}

Field number(std::string_view name, double CloudConfig::*member, NumberRange range) {
  return {name, [member](const CloudConfig& c) { return json(c.*member); },
          [member, range](CloudConfig& c, const json& v) -> Reason {
            if (!v.is_number()) return "must be a number";
            const auto x = v.get<double>();
            if (!std::isfinite(x) || x < range.min || x > range.max)
              return fmt::format("must be between {:g} and {:g}, got {:g}", range.min, range.max,
                                 x);
            c.*member = x;
            return std::nullopt;
          }};
}

Reason plain_text(const std::string& s) {
  if (s.size() > kMaxTextChars) return fmt::format("at most {} characters", kMaxTextChars);
  if (has_control_character(s)) return "may not contain control characters";
  return std::nullopt;
}

Reason client_id_text(const std::string& s) {
  if (s.empty() || s.size() > kMaxClientIdChars)
    return fmt::format("1..{} characters", kMaxClientIdChars);
  if (has_control_character(s) || s.find(' ') != std::string::npos)
    return "no spaces or control characters";
  return std::nullopt;
}

Reason topic_level_text(const std::string& s) {
  if (!is_valid_topic_level(s))
    return "letters, digits, '-' and '_' only (one topic level, 1..64 characters)";
  return std::nullopt;
}

// Empty (none) or an absolute path; whether the file is there is check_settings' business.
Reason path_text(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (s.size() > kMaxPathChars) return fmt::format("at most {} characters", kMaxPathChars);
  if (has_control_character(s)) return "may not contain control characters";
  if (s.front() != '/') return fmt::format("must be an absolute path, got '{}'", s);
  return std::nullopt;
}

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      flag("enabled", &CloudConfig::enabled),
      {"broker",
       [](const CloudConfig& c) {
         return json(c.broker.host.empty() ? std::string() : broker_url(c.broker));
       },
       [](CloudConfig& c, const json& v) -> Reason {
         if (!v.is_string()) return "must be a string";
         const auto url = v.get<std::string>();
         if (url.empty()) {
           c.broker = BrokerAddress{};
           return std::nullopt;
         }
         std::string reason;
         const auto address = parse_broker_url(url, &reason);
         if (!address) return reason;
         c.broker = *address;
         return std::nullopt;
       }},
      text("client_id", &CloudConfig::client_id, client_id_text),
      text("username", &CloudConfig::username, plain_text),
      text(kPasswordField, &CloudConfig::password, plain_text),
      text("ca_file", &CloudConfig::ca_file, path_text),
      text("cert_file", &CloudConfig::cert_file, path_text),
      text("key_file", &CloudConfig::key_file, path_text),
      {"format", [](const CloudConfig& c) { return json(std::string(to_string(c.format))); },
       [](CloudConfig& c, const json& v) -> Reason {
         if (!v.is_string()) return "must be a string";
         const auto word = v.get<std::string>();
         const auto format = parse_payload_format(word);
         if (!format) return fmt::format("must be \"json\" or \"sparkplug\", got \"{}\"", word);
         c.format = *format;
         return std::nullopt;
       }},
      flag("home_assistant", &CloudConfig::home_assistant),
      text("home_assistant_prefix", &CloudConfig::home_assistant_prefix, topic_level_text),
      text("site_id", &CloudConfig::site_id, topic_level_text),
      text("gateway_id", &CloudConfig::gateway_id, topic_level_text),
      integer("keepalive_s", &CloudConfig::keepalive_s, kKeepaliveRange_s),
      integer("battery_interval_s", &CloudConfig::battery_interval_s, kIntervalRange_s),
      integer("summary_interval_s", &CloudConfig::summary_interval_s, kIntervalRange_s),
      number("deadband_voltage_V", &CloudConfig::deadband_voltage_V, kDeadbandVoltageRange_V),
      number("deadband_temperature_C", &CloudConfig::deadband_temperature_C,
             kDeadbandTemperatureRange_C),
      number("deadband_resistance_mOhm", &CloudConfig::deadband_resistance_mOhm,
             kDeadbandResistanceRange_mOhm),
      number("deadband_percent", &CloudConfig::deadband_percent, kDeadbandPercentRange),
  };
  return table;
}

const Field* find_field(std::string_view name) {
  for (const auto& f : fields()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// nullopt when the gateway can read the file at `path`.
Reason unreadable_file(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return fmt::format("no such file: {}", path);
  if (!std::filesystem::is_regular_file(status)) return fmt::format("not a file: {}", path);
  if (::access(path.c_str(), R_OK) != 0) return fmt::format("the gateway may not read {}", path);
  return std::nullopt;
}

}  // namespace

const std::vector<std::string_view>& editable_fields() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& f : fields()) out.push_back(f.name);
    return out;
  }();
  return names;
}

std::string to_string(const FieldProblem& problem) {
  return problem.field.empty() ? problem.reason : problem.field + ": " + problem.reason;
}

json field_value(const CloudConfig& config, std::string_view field) {
  const auto* f = find_field(field);
  return f ? f->get(config) : json();
}

std::optional<FieldProblem> check_settings(const CloudConfig& config, FileCheck files) {
  if (config.enabled && config.broker.host.empty())
    return FieldProblem{"broker", "required to turn the link on (mqtt://HOST:PORT)"};
  if (config.cert_file.empty() != config.key_file.empty()) {
    return FieldProblem{config.cert_file.empty() ? "cert_file" : "key_file",
                        "a client certificate needs both cert_file and key_file"};
  }
  if (config.home_assistant && config.format != PayloadFormat::json) {
    return FieldProblem{"home_assistant",
                        "Home Assistant discovery reads the JSON tree: needs format \"json\""};
  }
  if (files == FileCheck::check) {
    for (const auto& [field, path] :
         {std::pair<std::string_view, const std::string*>{"ca_file", &config.ca_file},
          {"cert_file", &config.cert_file},
          {"key_file", &config.key_file}}) {
      if (path->empty()) continue;
      if (auto reason = unreadable_file(*path)) return FieldProblem{std::string(field), *reason};
    }
  }
  return std::nullopt;
}

std::variant<CloudConfig, FieldProblem> apply_request(const CloudConfig& current,
                                                      const json& request) {
  if (!request.is_object())
    return FieldProblem{"", "body must be a JSON object of settings: {\"broker\": ..., ...}"};
  CloudConfig out = current;
  for (const auto& [key, value] : request.items()) {
    const auto* f = find_field(key);
    if (!f) return FieldProblem{key, "unknown setting"};
    if (key == kPasswordField && value.is_null()) continue;  // keep the stored one
    if (auto reason = f->set(out, value)) return FieldProblem{key, *reason};
  }
  return out;
}

json edits_between(const CloudConfig& base, const CloudConfig& settings) {
  json edits = json::object();
  for (const auto& f : fields()) {
    auto value = f.get(settings);
    if (value != f.get(base)) edits[std::string(f.name)] = std::move(value);
  }
  return edits;
}

std::variant<CloudConfig, FieldProblem> apply_edits(const CloudConfig& base, const json& edits,
                                                    FileCheck files) {
  auto applied = apply_request(base, edits);
  if (auto* problem = std::get_if<FieldProblem>(&applied)) return *problem;
  auto& config = std::get<CloudConfig>(applied);
  if (auto problem = check_settings(config, files)) return *problem;
  return config;
}

std::vector<std::string> describe_changes(const CloudConfig& before, const CloudConfig& after) {
  std::vector<std::string> out;
  for (const auto& f : fields()) {
    const auto a = f.get(before);
    const auto b = f.get(after);
    if (a == b) continue;
    if (f.name == kPasswordField) {
      out.emplace_back(b.get<std::string>().empty()   ? "password removed"
                       : a.get<std::string>().empty() ? "password set"
                                                      : "password changed");
    } else {
      out.push_back(fmt::format("{}: {} -> {}", f.name, a.dump(), b.dump()));
    }
  }
  return out;
}

}  // namespace btms::cloud
