// The routing core: from the engine's alarm events (raised / cleared / acknowledged, string
// trips) it decides which message goes to which recipient and when. Pure: no I/O, no threads,
// "now" from the injected clock; the notifier thread feeds it events and asks what is due.
//
// - An incident (group) is a string (its batteries and the string itself) or, outside strings,
//   one source. All alarms of an incident raised within group_wait go into one message per
//   recipient; later changes at most once per group_interval (a trip at once after group_wait).
// - Per recipient: severity floor, sources and rule prefixes filter the alarms it sees.
// - Repeat every repeat_interval while an alarm the recipient sees stays unacknowledged.
// - Tier N recipients are told only when an alarm stays unacknowledged (N-1) x escalate_after.
// - Recovery notice when every alarm the recipient was told about has cleared.
// - Quiet hours hold a message until they end, unless it carries an active trip.
// - Inhibition: a battery whose sensor is lost (battery_comm_lost) has its value alarms
//   suppressed, as has a string whose string sensors are lost (string_comm_lost); trips are
//   never suppressed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine_service.hpp"
#include "model/clock.hpp"
#include "model/events.hpp"
#include "model/topology.hpp"
#include "notify/notification.hpp"
#include "notify/notify_settings.hpp"

namespace btms::notify {

// At the aggregator a source carries its gateway's name in front ("hall-a/battery/3/17"); a
// gateway's own sources have none. Split: {"hall-a", "battery/3/17"} or {"", source}. Only a
// battery/S/B, string/S or ups/U source is recognised under a gateway name, so a gateway's own
// sources (mc/input/2, ...) are never split.
struct SourceParts {
  std::string_view gateway;
  std::string_view local;
};
SourceParts split_gateway(std::string_view source);

// What a message says about where an alarm is: string names and the UPS of each string.
struct SiteNames {
  std::string site;
  struct StringInfo {
    std::string name;
    int ups_id = 0;
    std::string ups_name;
  };
  std::map<int, StringInfo> strings;
  // At the aggregator: the site's gateways, and a gateway's string by id from its current
  // topology (gateways' topologies arrive and change while the aggregator runs, so it is looked
  // up when a message is written; it may be called from any notifier or sender thread).
  // Empty at a gateway.
  std::set<std::string, std::less<>> gateways;
  std::function<std::optional<StringInfo>(std::string_view gateway, int string_id)> gateway_string;

  static SiteNames from(const model::Site& site);
  // The UPS of a battery/S/B or string/S source (its gateway's UPS under a gateway name); 0
  // when none.
  int ups_of(const std::string& source) const;
  // The string of a battery/S/B or string/S source, under a gateway name or not.
  std::optional<StringInfo> string_info(std::string_view source) const;
  // split_gateway, and at the aggregator also any source under one of `gateways`
  // ("hall-a/mc/input/2" -> {"hall-a", "mc/input/2"}), for the words of a message.
  SourceParts split(std::string_view source) const;
};

// The incident a source belongs to: battery/3/17 and string/3 -> string/3, hall-a/battery/3/17
// -> hall-a/string/3; others as they are.
std::string group_of(const std::string& source);
// Does the recipient's sources / rules / severity filter let this alarm through?
bool recipient_wants(const Recipient& recipient, const SiteNames& names,
                     const NotifiedAlarm& alarm);
// Is this alarm suppressed by a lost sensor among `active` (every active alarm)?
bool inhibited(const NotifiedAlarm& alarm, const std::set<std::string>& active_keys);

class AlarmRouter {
 public:
  AlarmRouter(RoutingSettings settings, std::vector<Recipient> recipients, SiteNames names,
              std::shared_ptr<const model::Clock> clock);

  // Alarm events change the state; other events are ignored (string_tripped counts as an
  // alarm "string disconnected" until string_reconnected).
  void on_event(const model::Event& event);
  // Replace the view with the engine's active alarms (start-up, or after the event cursor fell
  // behind): alarms not in the list are treated as cleared now.
  void sync_active(const std::vector<engine::ActiveAlarm>& alarms);

  // Messages due now (clock), with texts filled; the router records them as sent.
  std::vector<Notification> take_due();
  // The clock time at which the next message falls due; nullopt when nothing is pending.
  std::optional<std::int64_t> next_due_ms() const;

  // A test message for one recipient (nullopt when no such name).
  std::optional<Notification> test_message(const std::string& recipient) const;

  const std::vector<Recipient>& recipients() const { return recipients_; }
  // A new recipient list (edited on the settings page): a recipient kept by name keeps what it
  // was told, so it gets no repeat of it; a new one is told the active alarms it wants as news
  // (after the grouping wait); a removed one is forgotten.
  void set_recipients(std::vector<Recipient> recipients);
  std::size_t tracked_alarms() const;

 private:
  struct Progress {
    std::set<std::string> told_active;  // alarm keys this recipient was told as active
    std::int64_t last_sent_ms = 0;
  };
  struct Group {
    std::map<std::string, NotifiedAlarm> alarms;
    std::map<std::string, std::int64_t> changed_ms;  // key -> when raised or cleared
    std::vector<Progress> progress;                  // one per recipient
  };
  struct Decision {
    std::int64_t due_ms = 0;
    Reason reason = Reason::first;
  };

  std::optional<Decision> decide(const Group& group, std::size_t recipient) const;
  Notification compose(const std::string& group_key, const Group& group, std::size_t recipient,
                       Reason reason, std::int64_t now_ms) const;
  std::vector<NotifiedAlarm> view(const Group& group, const Recipient& recipient) const;
  void raise(NotifiedAlarm alarm, std::int64_t when_ms);
  void clear(const std::string& key, std::int64_t when_ms);
  void forget_told_cleared();

  RoutingSettings settings_;
  std::vector<Recipient> recipients_;
  SiteNames names_;
  std::shared_ptr<const model::Clock> clock_;
  std::map<std::string, Group> groups_;
  std::set<std::string> active_keys_;  // every active alarm's key (for inhibition)
};

}  // namespace btms::notify
