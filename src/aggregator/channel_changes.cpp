#include "aggregator/channel_changes.hpp"

#include <fmt/format.h>

namespace btms::aggregator {

using nlohmann::json;

void merge_channels(GatewayData& g, json&& incoming, std::uint64_t stamp) {
  if (!incoming.is_object()) return;
  for (auto& [name, value] : incoming.items()) {
    g.channels[name] = std::move(value);
    g.channel_changed[name] = stamp;
  }
}

namespace {
bool under_a_prefix(const std::vector<std::string>& prefixes, std::string_view name) {
  for (const auto& p : prefixes) {
    if (name.starts_with(p)) return true;
  }
  return false;
}
}  // namespace

void append_changed_channels(const GatewayData& g, bool fresh,
                             const std::vector<std::string>& prefixes, SentState& sent, json& out) {
  const bool everything = !sent.sent_once || sent.fresh != fresh;
  if (!everything && g.changes == sent.changes) return;
  for (const auto& [name, stamp] : g.channel_changed) {
    if (!everything && stamp <= sent.changes) continue;
    auto full = fmt::format("{}/{}", g.name, name);
    if (!under_a_prefix(prefixes, full)) continue;
    const auto it = g.channels.find(name);
    if (it == g.channels.end()) continue;
    json value = *it;
    if (!fresh && value.is_object()) value["quality"] = "stale";
    out[std::move(full)] = std::move(value);
  }
  sent.changes = g.changes;
  sent.sent_once = true;
  sent.fresh = fresh;
}

}  // namespace btms::aggregator
