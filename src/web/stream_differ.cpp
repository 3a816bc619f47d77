#include "web/stream_differ.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <nlohmann/json.hpp>

#include "web/api_handlers.hpp"

namespace btms::web {

using nlohmann::json;

namespace {
constexpr std::size_t kMaxPrefixes = 64;

bool same_value(double a, double b) {
  // Bitwise so that NaN == NaN and a NaN -> NaN "change" is not sent forever.
  return std::memcmp(&a, &b, sizeof a) == 0;
}
}  // namespace

std::variant<std::vector<std::string>, std::string> parse_stream_request(std::string_view text) {
  const auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::string("message is not a JSON object");
  const auto it = j.find("subscribe");
  if (it == j.end() || !it->is_array()) {
    return std::string("expected {\"subscribe\": [prefix, ...]}");
  }
  if (it->size() > kMaxPrefixes) return std::string("too many prefixes");
  std::vector<std::string> prefixes;
  for (const auto& p : *it) {
    if (!p.is_string()) return std::string("prefixes must be strings");
    auto s = p.get<std::string>();
    if (!is_valid_channel_prefix(s)) return "malformed prefix: " + s;
    prefixes.push_back(std::move(s));
  }
  return prefixes;
}

void StreamDiffer::subscribe(std::vector<std::string> prefixes) {
  prefixes_ = std::move(prefixes);
  subscribed_ = true;
  plant_ = Source{};
  derived_ = Source{};
}

void StreamDiffer::refresh(Source& source, const model::Snapshot* snap) {
  if (snap == nullptr || !snap->channels) return;
  if (source.directory == snap->channels) return;
  // New directory (first snapshot, or a restart of the publisher): resolve the prefixes once.
  source.directory = snap->channels;
  source.ids.clear();
  for (const auto& prefix : prefixes_) {
    const auto ids = snap->channels->with_prefix(prefix);
    source.ids.insert(source.ids.end(), ids.begin(), ids.end());
  }
  std::sort(source.ids.begin(), source.ids.end());
  source.ids.erase(std::unique(source.ids.begin(), source.ids.end()), source.ids.end());
  source.sent.assign(source.ids.size(), Sent{});
}

std::optional<std::string> StreamDiffer::next_message(
    const std::shared_ptr<const model::Snapshot>& plant,
    const std::shared_ptr<const model::Snapshot>& derived) {
  if (!subscribed_) return std::nullopt;
  json channels = json::object();
  const auto collect = [&](Source& source, const model::Snapshot* snap) {
    refresh(source, snap);
    if (snap == nullptr || source.directory != snap->channels) return;
    for (std::size_t k = 0; k < source.ids.size(); ++k) {
      const auto id = source.ids[k];
      if (id >= snap->samples.size()) continue;
      const auto& s = snap->samples[id];
      auto& last = source.sent[k];
      if (last.valid && same_value(last.value, s.value) && last.time_ms == s.time_ms &&
          last.quality == s.quality) {
        continue;
      }
      last = Sent{s.value, s.time_ms, s.quality, true};
      const auto& info = snap->channels->info(id);
      channels[info.name] = json{{"value", std::isfinite(s.value) ? json(s.value) : json(nullptr)},
                                 {"unit", info.unit},
                                 {"time_ms", s.time_ms},
                                 {"quality", model::to_string(s.quality)}};
    }
  };
  collect(plant_, plant.get());
  collect(derived_, derived.get());
  if (channels.empty()) return std::nullopt;
  json msg{{"type", "values"},
           {"sequence", plant ? plant->sequence : 0},
           {"time_ms", plant ? plant->time_ms : 0},
           {"channels", std::move(channels)}};
  return msg.dump();
}

}  // namespace btms::web
