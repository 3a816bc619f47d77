#include "aggregator/channel_changes.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace btms::aggregator {

using nlohmann::json;

namespace {

// Whether "<gateway>/<name>" starts with `prefix`, without building the full name.
bool joined_starts_with(std::string_view gateway, std::string_view name, std::string_view prefix) {
  if (prefix.size() <= gateway.size()) return gateway.starts_with(prefix);
  if (!prefix.starts_with(gateway) || prefix[gateway.size()] != '/') return false;
  return name.starts_with(prefix.substr(gateway.size() + 1));
}

bool under_a_prefix(const std::vector<std::string>& prefixes, std::string_view gateway,
                    std::string_view name) {
  for (const auto& p : prefixes) {
    if (joined_starts_with(gateway, name, p)) return true;
  }
  return false;
}

bool needs_escaping(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
  });
}

std::string member_text(std::string_view gateway, const std::string& name, const json& value) {
  std::string out;
  if (needs_escaping(gateway) || needs_escaping(name)) {
    // Through the JSON writer: a channel name is the gateway's to choose.
    out = json(fmt::format("{}/{}", gateway, name)).dump();
  } else {
    out.reserve(gateway.size() + name.size() + 48);
    out += '"';
    out += gateway;
    out += '/';
    out += name;
    out += '"';
  }
  out += ':';
  out += value.dump();
  return out;
}

}  // namespace

void merge_channels(GatewayData& g, json&& incoming, std::uint64_t stamp) {
  if (!incoming.is_object()) return;
  for (auto& [name, value] : incoming.items()) {
    auto& held = g.channel_changed[name];
    held.changed = stamp;
    held.member = member_text(g.name, name, value);
    g.channels[name] = std::move(value);
  }
}

void append_changed_channels(const GatewayData& g, bool fresh,
                             const std::vector<std::string>& prefixes, SentState& sent,
                             std::string& out) {
  const bool everything = !sent.sent_once || sent.fresh != fresh;
  if (!everything && g.changes == sent.changes) return;
  for (const auto& [name, held] : g.channel_changed) {
    if (!everything && held.changed <= sent.changes) continue;
    if (!under_a_prefix(prefixes, g.name, name)) continue;
    if (fresh) {
      if (!out.empty()) out += ',';
      out += held.member;
      continue;
    }
    const auto it = g.channels.find(name);
    if (it == g.channels.end()) continue;
    json value = *it;
    if (value.is_object()) value["quality"] = "stale";
    if (!out.empty()) out += ',';
    out += member_text(g.name, name, value);
  }
  sent.changes = g.changes;
  sent.sent_once = true;
  sent.fresh = fresh;
}

}  // namespace btms::aggregator
