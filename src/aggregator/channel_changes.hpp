// Which of a gateway's summary channels changed, so the site stream sends only those: a link
// stamps every channel it merges with the gateway's change count, and each stream client keeps,
// per gateway, the change count (and freshness) it last sent. A client then skips an unchanged
// gateway with one comparison and an unchanged channel with one integer comparison, instead of
// comparing every held value with a copy of what it sent (16 full gateways hold about 8,000
// summary channels). Pure functions on GatewayData, tested without a network.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aggregator/gateway_data.hpp"

namespace btms::aggregator {

// Moves {"name": {"value":..,"quality":..,"time_ms":..}, ...} into g.channels and stamps each
// name with `stamp` (the value g.changes takes with this change).
void merge_channels(GatewayData& g, nlohmann::json&& incoming, std::uint64_t stamp);

// What one stream client last sent of one gateway.
struct SentState {
  std::uint64_t changes = 0;
  bool sent_once = false;
  bool fresh = false;
};

// Appends to `out` (JSON object members, comma separated, without the braces:
// "\"gw2/string/1/voltage\":{...},...") every channel of g under one of `prefixes` that changed
// since `sent` (all of them on the first call or when freshness flipped; readings of a gateway
// that is not fresh carry quality "stale"), and updates `sent`. Text, not a JSON tree: a
// fresh channel's member was written once when it arrived and is copied as it is, which keeps
// a stream client's cost per value to a copy (16 full gateways: about 18,000 values a second).
void append_changed_channels(const GatewayData& g, bool fresh,
                             const std::vector<std::string>& prefixes, SentState& sent,
                             std::string& out);

}  // namespace btms::aggregator
