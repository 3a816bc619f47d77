// Settings of the cloud link: the site file's [cloud] table, overridden by --mqtt URL on the
// command line. Every bad value is refused with the file's line and a reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace btms::cloud {

struct BrokerAddress {
  std::string host;
  int port = 1883;
  bool tls = false;  // mqtts://
};

// mqtt://HOST[:PORT] (default 1883) or mqtts://HOST[:PORT] (TLS, default 8883). nullopt and a
// reason in *error for anything else.
std::optional<BrokerAddress> parse_broker_url(std::string_view url, std::string* error);

// How many bytes, rows and how old the outbox may grow while the broker is out of reach.
struct OutboxLimits {
  std::int64_t max_rows = 2'000'000;
  std::int64_t max_bytes = 512LL * 1024 * 1024;
  std::int64_t max_age_ms = 7LL * 24 * 3600 * 1000;  // on the gateway clock
};

// What the messages look like: the JSON topic tree (telemetry_tree.hpp) or Sparkplug B
// (sparkplug_node.hpp). Both go through the same outbox and MQTT session.
enum class PayloadFormat : std::uint8_t { json, sparkplug };
std::string_view to_string(PayloadFormat format);
std::optional<PayloadFormat> parse_payload_format(std::string_view text);

struct CloudConfig {
  bool enabled = false;
  PayloadFormat format = PayloadFormat::json;
  BrokerAddress broker;
  // Topic levels btms/<site_id>/<gateway_id>/...: letters, digits, '-' and '_' only.
  std::string site_id;
  std::string gateway_id = "gateway";
  std::string client_id;  // empty = btms-<site_id>-<gateway_id>
  std::string username;
  std::string password;
  // TLS: the broker's certificate is always verified (against ca_file, or the system's CAs when
  // empty); a client certificate is sent when cert_file and key_file are given.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  int keepalive_s = 30;
  // Reconnect: exponential from min to max, each wait between half and all of it (jitter), so a
  // site's gateways do not hammer a broker that comes back all in the same second.
  int reconnect_min_ms = 1000;
  int reconnect_max_ms = 60'000;
  // Per-battery values: sent when one changed beyond its deadband, and at least every interval.
  int battery_interval_s = 60;
  // String summaries: at once when state, status, alarms or protection change, else at this
  // interval.
  int summary_interval_s = 10;
  double deadband_voltage_V = 0.01;
  double deadband_temperature_C = 0.5;
  double deadband_resistance_mOhm = 0.05;
  double deadband_percent = 1.0;  // SOC and SOH
  OutboxLimits outbox;
  // Backlog after an outage: at most this many messages per second (live data goes first).
  int backlog_messages_per_s = 200;
  int max_in_flight = 64;  // QoS 1 messages sent and not yet acknowledged
  // A broker out of reach this long (gateway clock) raises the warning cloud_broker_unreachable.
  int offline_warning_s = 300;
  // Home Assistant MQTT discovery (home_assistant_discovery.hpp): config messages under this
  // prefix for every string and battery, published at every start.
  bool home_assistant = false;
  std::string home_assistant_prefix = "homeassistant";
};

// The ranges of the settings both the site file and the settings page set: one table, so a value
// the page accepts is one the site file accepts too.
struct IntegerRange {
  std::int64_t min;
  std::int64_t max;
};
struct NumberRange {
  double min;
  double max;
};
inline constexpr IntegerRange kKeepaliveRange_s{5, 3600};
inline constexpr IntegerRange kIntervalRange_s{1, 86'400};  // battery and summary intervals
inline constexpr NumberRange kDeadbandVoltageRange_V{0, 10};
inline constexpr NumberRange kDeadbandTemperatureRange_C{0, 50};
inline constexpr NumberRange kDeadbandResistanceRange_mOhm{0, 100};
inline constexpr NumberRange kDeadbandPercentRange{0, 100};

struct CloudConfigProblem {
  int line = 0;  // in the site file; 0 = not from a line (the command line)
  std::string key;
  std::string reason;
};

// "file:line: cloud.key: reason", as every command reports a problem of a site file.
std::string describe(const CloudConfigProblem& problem, std::string_view file);

// Reads the [cloud] table of a site file (TOML). An absent table leaves `config` as it is
// (disabled). site_name gives the default site_id.
std::vector<CloudConfigProblem> read_cloud_table(std::string_view toml_text,
                                                 std::string_view site_name, CloudConfig& config);

// Loads site_file (may be empty: defaults only), then applies mqtt_url when not empty (enables
// the link) and mqtt_format when not empty (--mqtt-format json|sparkplug). Every problem is one
// line "file:line: cloud.key: reason" in *errors.
std::optional<CloudConfig> load_cloud_config(const std::string& site_file,
                                             std::string_view site_name,
                                             const std::string& mqtt_url,
                                             std::vector<std::string>* errors,
                                             const std::string& mqtt_format = {});

// "Battery Room A" -> "battery-room-a": a name fit for one topic level.
std::string topic_level_from_name(std::string_view name);
bool is_valid_topic_level(std::string_view level);

}  // namespace btms::cloud
