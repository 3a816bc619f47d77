#include "notify/delivery_json.hpp"

#include <nlohmann/json.hpp>

#include "notify/message_text.hpp"
#include "notify/webhook_payload.hpp"

namespace btms::notify {

std::string deliveries_json(const DeliveryLog& log, const std::vector<Recipient>& recipients,
                            std::size_t limit) {
  using nlohmann::json;
  json out_recipients = json::array();
  for (const auto& r : recipients) {
    json quiet = nullptr;
    if (r.quiet.enabled()) {
      quiet = {{"start_min", r.quiet.start_min},
               {"end_min", r.quiet.end_min},
               {"utc_offset_min", r.quiet.utc_offset_min}};
    }
    out_recipients.push_back({{"name", r.name},
                              {"channel", channel_name(r.channel)},
                              {"address", r.address},
                              {"level", severity_word(r.min_severity)},
                              {"tier", r.tier},
                              {"sources", r.sources},
                              {"rules", r.rules},
                              {"quiet_hours", quiet},
                              // SNMP: which notifications ("btms", "ups", "both")
                              {"mib", r.channel != ChannelKind::snmp      ? json(nullptr)
                                      : r.snmp.ups_mib && r.snmp.btms_mib ? json("both")
                                      : r.snmp.ups_mib                    ? json("ups")
                                                                          : json("btms")},
                              {"secret_set", !r.secret.empty() || !r.snmp.community.empty() ||
                                                 !r.snmp.auth_password.empty()}});
  }
  json entries = json::array();
  for (const auto& d : log.newest(limit)) {
    entries.push_back({{"id", d.id},
                       {"time", rfc3339(d.time_ms)},
                       {"time_ms", d.time_ms},
                       {"recipient", d.recipient},
                       {"channel", channel_name(d.channel)},
                       {"group", d.group},
                       {"reason", d.reason},
                       {"subject", d.subject},
                       {"result", result_name(d.result)},
                       {"detail", d.detail},
                       {"attempt", d.attempt}});
  }
  const json body = {{"recipients", out_recipients},
                     {"deliveries", entries},
                     {"counts",
                      {{"sent", log.count(DeliveryResult::sent)},
                       {"retrying", log.count(DeliveryResult::retrying)},
                       {"failed", log.count(DeliveryResult::failed)}}}};
  return body.dump();
}

}  // namespace btms::notify
