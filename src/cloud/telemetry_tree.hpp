// The JSON topic tree: what the cloud link publishes for one engine step and for new events.
//
//   btms/<site>/<gateway>/status                 "online" / "offline" (retained; offline = will)
//   btms/<site>/<gateway>/string/<s>/summary     string values, at once on a change of state,
//                                                status, alarms or protection, else every
//                                                summary interval
//   btms/<site>/<gateway>/ups/<u>                the UPS's strings together: worst status,
//                                                strings in error, summed current; sent with
//                                                its strings' summaries
//   btms/<site>/<gateway>/string/<s>/battery/<b> voltage, temperature, resistance, SOC, SOH, each
//                                                with its quality and sample time; on a change
//                                                beyond a deadband, else every battery interval
//   btms/<site>/<gateway>/alarm/<source>/<rule>  active alarm (retained); cleared = not retained
//                                                message, then the retained copy is deleted
//   btms/<site>/<gateway>/event                  every event of the engine's log, in order
//
// Pure apart from its memory of what was sent last (one instance per link, one thread).
// Payloads are JSON objects; the outbox adds the message id ("mid") when it stores them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cloud/cloud_config.hpp"
#include "engine/step_publication.hpp"
#include "model/events.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::cloud {

// Outbox priority: when the outbox is full the oldest telemetry goes first, alarms and events
// last.
enum class MessageKind : std::uint8_t { telemetry = 0, alarm = 1, event = 2 };

struct OutgoingMessage {
  std::string topic;
  std::string payload;  // a JSON object ("{...}"), or empty (deletes a retained message)
  bool retain = false;
  MessageKind kind = MessageKind::telemetry;
  // The outbox puts "mid" into JSON payloads for de-duplication; config messages of other
  // schemas (Home Assistant discovery) go out exactly as built.
  bool add_message_id = true;
};

// Appends value as a JSON number at the channel's resolution, exactly as /api/v1/live prints
// it; null when not finite.
void append_json_number(std::string& out, double value, double resolution);
void append_json_string(std::string& out, std::string_view text);

class TelemetryTree {
 public:
  TelemetryTree(const CloudConfig& config, const model::Site& site);

  // btms/<site_id>/<gateway_id>
  const std::string& prefix() const { return prefix_; }
  std::string status_topic() const { return prefix_ + "/status"; }

  // Summaries, battery values and alarm changes due after this step. The step's time (engine
  // clock) decides what an interval means.
  std::vector<OutgoingMessage> on_step(const engine::StepBundle& bundle);
  // One message per event, in order.
  std::vector<OutgoingMessage> on_events(const std::vector<model::Event>& events) const;

  // The last message of every battery topic as it was built (for tests: what a subscriber
  // should hold).
  std::size_t batteries_known() const { return batteries_.size(); }

 private:
  struct Field {
    double value = 0;
    model::Quality quality = model::Quality::comm_lost;
    std::int64_t time_ms = 0;
  };
  struct BatteryState {
    bool sent = false;
    std::int64_t sent_ms = 0;
    Field fields[5];  // voltage, temperature, resistance, soc, soh
  };
  struct StringState {
    bool sent = false;
    std::int64_t sent_ms = 0;
    std::string key;  // state, status, alarm bits, protection as sent last
  };
  struct AlarmState {
    std::string payload;
  };
  // Channel ids of one battery in the plant and derived directories (-1 = absent).
  struct BatteryIds {
    int string_id = 0, position = 0;
    std::int64_t ids[5] = {-1, -1, -1, -1, -1};
  };
  struct StringIds {
    int string_id = 0;
    std::vector<std::pair<std::string, std::int64_t>> plant, derived;  // quantity, channel id
    int ups_id = 0;
    std::int64_t state = -1, status = -1, alarm_bits = -1, protection = -1;
    std::int64_t current = -1;  // plant: string/<s>/current
  };

  void resolve(const model::Snapshot& plant, const model::Snapshot& derived);
  void add_strings(const engine::StepBundle& b, std::vector<OutgoingMessage>& out);
  // One message per UPS of which a string's summary went out in this step (indexes into
  // string_ids_ of the strings sent).
  void add_upses(const engine::StepBundle& b, const std::vector<std::size_t>& strings_sent,
                 std::vector<OutgoingMessage>& out);
  void add_batteries(const engine::StepBundle& b, std::vector<OutgoingMessage>& out);
  void add_alarms(const engine::StepBundle& b, std::vector<OutgoingMessage>& out);

  CloudConfig config_;
  std::shared_ptr<const model::Site> site_;
  std::string prefix_;
  const model::ChannelDirectory* plant_dir_ = nullptr;
  const model::ChannelDirectory* derived_dir_ = nullptr;
  std::vector<BatteryIds> battery_ids_;
  std::vector<StringIds> string_ids_;
  std::vector<BatteryState> batteries_;
  std::vector<StringState> strings_;
  std::map<std::string, AlarmState> alarms_;  // by alarm key
};

}  // namespace btms::cloud
