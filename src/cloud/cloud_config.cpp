#include "cloud/cloud_config.hpp"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <cctype>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace btms::cloud {

namespace {

int line_of(const toml::node& node) {
  return std::max(1, static_cast<int>(node.source().begin.line));
}

class CloudTableReader {
 public:
  CloudTableReader(const toml::table& table, std::vector<CloudConfigProblem>& problems)
      : table_(table), problems_(problems) {}

  void text(std::string_view key, std::string& out) {
    const auto* n = find(key);
    if (!n) return;
    if (const auto* s = n->as_string()) {
      out = s->get();
    } else {
      problem(*n, key, "expected a string");
    }
  }
  void flag(std::string_view key, bool& out) {
    const auto* n = find(key);
    if (!n) return;
    if (const auto* b = n->as_boolean()) {
      out = b->get();
    } else {
      problem(*n, key, "expected true or false");
    }
  }
  template <class Int>
  void integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max) {
    const auto* n = find(key);
    if (!n) return;
    const auto* i = n->as_integer();
    if (!i) {
      problem(*n, key, "expected an integer");
      return;
    }
    if (i->get() < min || i->get() > max) {
      problem(*n, key, fmt::format("must be between {} and {}, got {}", min, max, i->get()));
      return;
    }
    out = static_cast<Int>(i->get());
  }
  void number(std::string_view key, double& out, double min, double max) {
    const auto* n = find(key);
    if (!n) return;
    double value = 0;
    if (const auto* f = n->as_floating_point()) {
      value = f->get();
    } else if (const auto* i = n->as_integer()) {
      value = static_cast<double>(i->get());
    } else {
      problem(*n, key, "expected a number");
      return;
    }
    if (!(value >= min && value <= max)) {
      problem(*n, key, fmt::format("must be between {:g} and {:g}, got {:g}", min, max, value));
      return;
    }
    out = value;
  }
  const toml::node* find(std::string_view key) {
    known_.emplace(key);
    return table_.get(key);
  }
  void problem(const toml::node& n, std::string_view key, std::string reason) {
    problems_.push_back({line_of(n), "cloud." + std::string(key), std::move(reason)});
  }
  void finish() {
    for (const auto& [key, value] : table_) {
      if (!known_.contains(std::string(key.str()))) {
        problems_.push_back({line_of(value), "cloud." + std::string(key.str()), "unknown key"});
      }
    }
  }

 private:
  const toml::table& table_;
  std::vector<CloudConfigProblem>& problems_;
  std::set<std::string, std::less<>> known_;
};

}  // namespace

std::optional<BrokerAddress> parse_broker_url(std::string_view url, std::string* error) {
  auto fail = [&](std::string reason) -> std::optional<BrokerAddress> {
    if (error) *error = std::move(reason);
    return std::nullopt;
  };
  BrokerAddress out;
  if (url.starts_with("mqtt://")) {
    url.remove_prefix(7);
    out.port = 1883;
  } else if (url.starts_with("mqtts://")) {
    url.remove_prefix(8);
    out.port = 8883;
    out.tls = true;
  } else {
    return fail("expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]");
  }
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  std::string_view host = url;
  if (url.starts_with('[')) {  // [::1]:1883
    const auto close = url.find(']');
    if (close == std::string_view::npos) return fail("unclosed '[' in the host");
    host = url.substr(1, close - 1);
    url.remove_prefix(close + 1);
    if (!url.empty() && url.front() != ':') return fail("expected ':PORT' after ']'");
  } else {
    const auto colon = url.rfind(':');
    host = url.substr(0, colon);
    url = colon == std::string_view::npos ? std::string_view{} : url.substr(colon);
  }
  if (host.empty()) return fail("no host");
  if (host.find_first_of("/?#@ ") != std::string_view::npos)
    return fail("the host may not contain '/', '?', '#', '@' or spaces");
  if (!url.empty()) {
    url.remove_prefix(1);  // ':'
    int port = 0;
    const auto [ptr, ec] = std::from_chars(url.data(), url.data() + url.size(), port);
    if (url.empty() || ec != std::errc() || ptr != url.data() + url.size() || port < 1 ||
        port > 65535)
      return fail(fmt::format("port must be 1..65535, got '{}'", url));
    out.port = port;
  }
  out.host = std::string(host);
  return out;
}

std::string topic_level_from_name(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (c == '_' || c == '-') {
      out += c;
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "site" : out;
}

bool is_valid_topic_level(std::string_view level) {
  if (level.empty() || level.size() > 64) return false;
  for (const char c : level) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '_') return false;
  }
  return true;
}

std::vector<CloudConfigProblem> read_cloud_table(std::string_view toml_text,
                                                 std::string_view site_name, CloudConfig& config) {
  std::vector<CloudConfigProblem> problems;
  if (config.site_id.empty()) config.site_id = topic_level_from_name(site_name);
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    problems.push_back({static_cast<int>(e.source().begin.line), "", std::string(e.description())});
    return problems;
  }
  const auto* node = root.get("cloud");
  if (!node) return problems;
  const auto* table = node->as_table();
  if (!table) {
    problems.push_back({line_of(*node), "cloud", "expected a table"});
    return problems;
  }
  CloudTableReader r(*table, problems);
  config.enabled = true;  // a [cloud] table means a link, unless it says enabled = false
  r.flag("enabled", config.enabled);
  std::string url;
  r.text("broker", url);
  if (const auto* n = table->get("broker")) {
    std::string reason;
    if (auto address = parse_broker_url(url, &reason)) {
      config.broker = *address;
    } else if (n->is_string()) {
      r.problem(*n, "broker", reason);
    }
  } else if (config.enabled) {
    problems.push_back({line_of(*node), "cloud.broker", "required (mqtt://HOST:PORT)"});
  }
  for (auto [key, out] : {std::pair<std::string_view, std::string*>{"site_id", &config.site_id},
                          {"gateway_id", &config.gateway_id}}) {
    r.text(key, *out);
    if (const auto* n = table->get(key); n && n->is_string() && !is_valid_topic_level(*out))
      r.problem(*n, key, "letters, digits, '-' and '_' only (one topic level, 1..64 characters)");
  }
  r.text("client_id", config.client_id);
  r.text("username", config.username);
  r.text("password", config.password);
  r.text("ca_file", config.ca_file);
  r.text("cert_file", config.cert_file);
  r.text("key_file", config.key_file);
  if (config.cert_file.empty() != config.key_file.empty()) {
    problems.push_back({line_of(*node), "cloud.cert_file",
                        "a client certificate needs both cert_file and key_file"});
  }
  r.integer("keepalive_s", config.keepalive_s, kKeepaliveRange_s.min, kKeepaliveRange_s.max);
  r.integer("reconnect_min_ms", config.reconnect_min_ms, 10, 600'000);
  r.integer("reconnect_max_ms", config.reconnect_max_ms, 10, 3'600'000);
  if (config.reconnect_max_ms < config.reconnect_min_ms) {
    problems.push_back(
        {line_of(*node), "cloud.reconnect_max_ms", "must not be less than reconnect_min_ms"});
  }
  r.integer("battery_interval_s", config.battery_interval_s, kIntervalRange_s.min,
            kIntervalRange_s.max);
  r.integer("summary_interval_s", config.summary_interval_s, kIntervalRange_s.min,
            kIntervalRange_s.max);
  r.number("deadband_voltage_V", config.deadband_voltage_V, kDeadbandVoltageRange_V.min,
           kDeadbandVoltageRange_V.max);
  r.number("deadband_temperature_C", config.deadband_temperature_C, kDeadbandTemperatureRange_C.min,
           kDeadbandTemperatureRange_C.max);
  r.number("deadband_resistance_mOhm", config.deadband_resistance_mOhm,
           kDeadbandResistanceRange_mOhm.min, kDeadbandResistanceRange_mOhm.max);
  r.number("deadband_percent", config.deadband_percent, kDeadbandPercentRange.min,
           kDeadbandPercentRange.max);
  r.integer("outbox_max_rows", config.outbox.max_rows, 100, 100'000'000);
  std::int64_t max_mb = config.outbox.max_bytes / (1024 * 1024);
  r.integer("outbox_max_mb", max_mb, 1, 100'000);
  config.outbox.max_bytes = max_mb * 1024 * 1024;
  std::int64_t max_age_h = config.outbox.max_age_ms / 3'600'000;
  r.integer("outbox_max_age_h", max_age_h, 1, 24 * 365);
  config.outbox.max_age_ms = max_age_h * 3'600'000;
  r.integer("backlog_messages_per_s", config.backlog_messages_per_s, 1, 100'000);
  r.integer("max_in_flight", config.max_in_flight, 1, 65'535);
  r.integer("offline_warning_s", config.offline_warning_s, 1, 7 * 86'400);
  r.flag("home_assistant", config.home_assistant);
  r.text("home_assistant_prefix", config.home_assistant_prefix);
  if (const auto* n = table->get("home_assistant_prefix");
      n && n->is_string() && !is_valid_topic_level(config.home_assistant_prefix)) {
    r.problem(*n, "home_assistant_prefix",
              "letters, digits, '-' and '_' only (one topic level, 1..64 characters)");
  }
  std::string format(to_string(config.format));
  r.text("format", format);
  if (const auto* n = table->get("format"); n) {
    if (const auto parsed = parse_payload_format(format)) {
      config.format = *parsed;
    } else {
      r.problem(*n, "format", fmt::format("must be \"json\" or \"sparkplug\", got \"{}\"", format));
    }
  }
  if (const auto* n = table->get("home_assistant");
      n && config.home_assistant && config.format != PayloadFormat::json) {
    r.problem(*n, "home_assistant",
              "Home Assistant discovery reads the JSON tree: needs format \"json\"");
  }
  r.finish();
  return problems;
}

std::string_view to_string(PayloadFormat format) {
  return format == PayloadFormat::sparkplug ? "sparkplug" : "json";
}

std::optional<PayloadFormat> parse_payload_format(std::string_view text) {
  if (text == "json") return PayloadFormat::json;
  if (text == "sparkplug") return PayloadFormat::sparkplug;
  return std::nullopt;
}

std::string describe(const CloudConfigProblem& problem, std::string_view file) {
  return fmt::format("{}:{}: {}{}{}", file, problem.line, problem.key,
                     problem.key.empty() ? "" : ": ", problem.reason);
}

std::optional<CloudConfig> load_cloud_config(const std::string& site_file,
                                             std::string_view site_name,
                                             const std::string& mqtt_url,
                                             std::vector<std::string>* errors,
                                             const std::string& mqtt_format) {
  CloudConfig config;
  config.site_id = topic_level_from_name(site_name);
  bool ok = true;
  if (!site_file.empty()) {
    std::ifstream in(site_file);
    if (!in) {
      if (errors) errors->push_back(site_file + ": cannot be read");
      return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    for (const auto& p : read_cloud_table(text.str(), site_name, config)) {
      ok = false;
      if (errors) {
        errors->push_back(describe(p, site_file));
      }
    }
  }
  if (!mqtt_url.empty()) {
    std::string reason;
    if (auto address = parse_broker_url(mqtt_url, &reason)) {
      config.broker = *address;
      config.enabled = true;
    } else {
      ok = false;
      if (errors) errors->push_back("--mqtt: " + reason);
    }
  }
  if (!mqtt_format.empty()) {
    if (const auto parsed = parse_payload_format(mqtt_format)) {
      config.format = *parsed;
      if (config.home_assistant && config.format != PayloadFormat::json) {
        ok = false;
        if (errors) errors->push_back("--mqtt-format: Home Assistant discovery needs json");
      }
    } else {
      ok = false;
      if (errors)
        errors->push_back("--mqtt-format: must be json or sparkplug, got '" + mqtt_format + "'");
    }
  }
  if (config.client_id.empty())
    config.client_id = "btms-" + config.site_id + "-" + config.gateway_id;
  if (!ok) return std::nullopt;
  return config;
}

}  // namespace btms::cloud
