// What the local display knows about the site: the gateway's topology (site -> UPS -> strings
// -> batteries), the newest value of each channel it shows, the active alarms and the state of
// its link to the gateway. Filled from the gateway's API answers (JSON as documented in
// docs/api.md) and read by the layout; free of any terminal or network code so it is tested
// with plain JSON.
#pragma once

#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace btms::hmi {

// One channel's newest value as the gateway served it.
struct Reading {
  double value = std::numeric_limits<double>::quiet_NaN();
  std::string quality;       // "ok", "stale", "comm_lost", "invalid"; empty = never received
  std::int64_t time_ms = 0;  // sample time on the gateway's clock

  bool known() const { return !quality.empty() && std::isfinite(value); }
  bool fresh() const { return quality == "ok" && std::isfinite(value); }
};

// How many values of a battery's voltage the display keeps for its sparkline.
inline constexpr std::size_t kTrendLength = 48;

struct BatteryView {
  int position = 0;  // 1 = at the string's negative end
  Reading voltage, temperature, resistance, soc, soh, resistance_baseline, status;
  std::deque<double> voltage_trend;  // oldest first, fresh values only
};

struct StringView {
  int id = 0;
  int ups_id = 0;
  std::string name;
  Reading voltage, current, soc, state, balance, relay_closed;
  std::vector<BatteryView> batteries;  // index = position - 1
};

struct UpsView {
  int id = 0;
  std::string name;
  std::vector<int> string_ids;
  Reading status, voltage, current, soc, runtime;
};

struct AlarmView {
  std::string key;       // "battery/1/7:battery_temperature_alarm"
  std::string source;    // "battery/1/7"
  std::string severity;  // info / warning / alarm / trip
  std::string text;
  double value = std::numeric_limits<double>::quiet_NaN();
  std::int64_t since_ms = 0;
  bool acknowledged = false;
};

enum class LinkState { connecting, connected, lost };
std::string_view to_string(LinkState state);

struct LinkView {
  LinkState state = LinkState::connecting;
  std::string detail;              // why the link is not up (shown in the banner)
  std::int64_t lost_since_ms = 0;  // local clock
};

// The string state codes of the derived channel string/N/state.
std::string_view string_state_name(double code);

class SiteView {
 public:
  // Replaces the topology with an /api/v1/topology answer, keeping values of channels that still
  // exist. Throws std::invalid_argument for an answer that is not such a document.
  void apply_topology(const nlohmann::json& topology);
  // Applies a {"name": {"value":..,"quality":..,"time_ms":..}, ...} object (the "channels" of an
  // /api/v1/live answer or of a stream "values" message). Unknown channels are ignored.
  void apply_channels(const nlohmann::json& channels);
  // Replaces the alarm list with an /api/v1/alarms answer.
  void apply_alarms(const nlohmann::json& alarms);

  const std::string& site_name() const { return site_name_; }
  const std::vector<UpsView>& upses() const { return upses_; }
  const std::vector<StringView>& strings() const { return strings_; }
  const std::vector<AlarmView>& alarms() const { return alarms_; }
  const UpsView* find_ups(int id) const;
  const StringView* find_string(int id) const;
  const BatteryView* find_battery(int string_id, int position) const;
  // Alarms whose source is the string, one of its batteries, or (for a UPS) any of its strings.
  int alarms_of_string(int string_id) const;
  int alarms_of_ups(int ups_id) const;
  // The most severe unacknowledged alarm (trip > alarm > warning > info), null when none.
  const AlarmView* top_unacknowledged() const;
  int unacknowledged() const;

  // The gateway's clock as last seen in a values message (0 before the first), and the local
  // time it was received: the gateway's "now" is estimated from both.
  std::int64_t gateway_time_ms() const { return gateway_time_ms_; }
  void set_gateway_time_ms(std::int64_t gateway_ms, std::int64_t local_ms) {
    gateway_time_ms_ = gateway_ms;
    received_local_ms_ = local_ms;
  }
  std::int64_t gateway_now_ms(std::int64_t local_now_ms) const {
    return gateway_time_ms_ == 0 ? 0 : gateway_time_ms_ + (local_now_ms - received_local_ms_);
  }

  LinkView link;
  std::string gateway_name;    // the URL's host, shown in the status line
  bool operator_role = false;  // the token may acknowledge
  // Read from the field buses (btms hmi --config), not a gateway: gateway_name then lists the
  // buses, the link is the buses' state, and there are no alarms, acknowledgements or renames.
  bool standalone = false;
  std::string notice;  // outcome of the last action, shown in the status line

 private:
  Reading* find_reading(std::string_view channel);

  std::string site_name_;
  std::vector<UpsView> upses_;
  std::vector<StringView> strings_;
  std::vector<AlarmView> alarms_;
  std::int64_t gateway_time_ms_ = 0;
  std::int64_t received_local_ms_ = 0;
};

}  // namespace btms::hmi
