#include "web/stream_differ.hpp"

#include "model/channel_resolution.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "web/api_handlers.hpp"

namespace btms::web {

using nlohmann::json;

namespace {
constexpr std::size_t kMaxPrefixes = 64;
// An unchanged value is sent again this long after it was last sent, so the age a browser
// shows stays bounded while the stream carries changes only.
constexpr std::int64_t kUnchangedResend_ms = 5'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - (a % b < 0 ? 1 : 0);
}

bool same_value(double a, double b) {
  // Bitwise so that NaN == NaN and a NaN -> NaN "change" is not sent forever.
  return std::memcmp(&a, &b, sizeof a) == 0;  // NOLINT(bugprone-suspicious-memory-comparison)
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", u);
      out += escaped;
    } else {
      out += c;  // UTF-8 passes through, as nlohmann writes it
    }
  }
  out += '"';
}

void append_integer(std::string& out, std::int64_t value) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  out.append(buf, end);
}

// Shortest text that reads back as the same double; integral values keep a ".0" so that they
// stay JSON floats for strict readers; NaN and infinities (not JSON) become null.
void append_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, value).ptr;
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}
}  // namespace

std::variant<StreamRequest, std::string> parse_stream_request(std::string_view text) {
  const auto j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::string("message is not a JSON object");
  const auto it = j.find("subscribe");
  if (it == j.end() || !it->is_array()) {
    return std::string("expected {\"subscribe\": [prefix, ...]}");
  }
  if (it->size() > kMaxPrefixes) return std::string("too many prefixes");
  StreamRequest request;
  for (const auto& p : *it) {
    if (!p.is_string()) return std::string("prefixes must be strings");
    auto s = p.get<std::string>();
    if (!is_valid_channel_prefix(s)) return "malformed prefix: " + s;
    request.prefixes.push_back(std::move(s));
  }
  for (const auto& [key, value] : j.items()) {
    if (key == "subscribe") continue;
    if (key != "events_since_ms") return "unknown field: " + key;
    if (!value.is_number_integer() || value.get<std::int64_t>() < 0) {
      return std::string("events_since_ms must be a time in Unix ms (an integer >= 0)");
    }
    request.events_since_ms = value.get<std::int64_t>();
  }
  return request;
}

std::shared_ptr<const std::string> StreamMessageCache::find(const Key& key) const {
  std::lock_guard lock(mutex_);
  for (const auto& [k, message] : entries_) {
    if (k == key) return message;
  }
  return nullptr;
}

void StreamMessageCache::put(Key key, std::shared_ptr<const std::string> message) {
  std::lock_guard lock(mutex_);
  for (const auto& entry : entries_) {
    if (entry.first == key) return;
  }
  if (entries_.size() >= kEntries) entries_.pop_front();
  entries_.emplace_back(std::move(key), std::move(message));
}

void StreamDiffer::subscribe(std::vector<std::string> prefixes) {
  prefixes_ = std::move(prefixes);
  subscribed_ = true;
  plant_ = Source{};
  derived_ = Source{};
  state_ = SentState::fresh;
  synced_plant_.reset();
  synced_derived_.reset();
}

void StreamDiffer::mark_sent(Source& source, const model::Snapshot* snap) {
  refresh(source, snap);
  if (snap == nullptr || source.directory != snap->channels) return;
  for (std::size_t k = 0; k < source.ids.size(); ++k) {
    const auto id = source.ids[k];
    if (id >= snap->samples.size()) continue;
    const auto& s = snap->samples[id];
    source.sent[k] = Sent{s.value, s.time_ms, s.quality, true};
  }
}

bool StreamDiffer::equals_snapshot(const Source& source, const model::Snapshot* snap) {
  if (snap == nullptr) return source.directory == nullptr;
  return source.directory == snap->channels &&
         (source.ids.empty() || source.ids.back() < snap->samples.size());
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
  auto message = next_shared_message(plant, derived);
  if (!message) return std::nullopt;
  return *message;
}

std::shared_ptr<const std::string> StreamDiffer::next_shared_message(
    const std::shared_ptr<const model::Snapshot>& plant,
    const std::shared_ptr<const model::Snapshot>& derived) {
  if (!subscribed_) return nullptr;
  std::optional<StreamMessageCache::Key> key;
  if (cache_ && state_ != SentState::unknown) {
    key = StreamMessageCache::Key{
        prefixes_, state_ == SentState::fresh, synced_plant_, synced_derived_, plant, derived};
  }
  std::shared_ptr<const std::string> message;
  if (key) message = cache_->find(*key);
  if (message) {
    mark_sent(plant_, plant.get());
    mark_sent(derived_, derived.get());
  } else if (auto built = build_message(plant.get(), derived.get())) {
    message = std::make_shared<const std::string>(std::move(*built));
    if (key) cache_->put(std::move(*key), message);
  }
  if (equals_snapshot(plant_, plant.get()) && equals_snapshot(derived_, derived.get())) {
    state_ = SentState::synced;
    synced_plant_ = plant;
    synced_derived_ = derived;
  } else {
    state_ = SentState::unknown;
    synced_plant_.reset();
    synced_derived_.reset();
  }
  return message;
}

std::optional<std::string> StreamDiffer::build_message(const model::Snapshot* plant,
                                                       const model::Snapshot* derived) {
  // Written by hand rather than through a json object: a client subscribed to every battery of
  // a full-size gateway gets ~15,000 channels a second, and building a json tree of them (a
  // map node and four more per channel) for each of 50 clients cost the io thread several
  // seconds per second. Same text as nlohmann would write: keys in sorted order, shortest
  // round-trip numbers, NaN/inf as null.
  std::string out = "{\"channels\":{";
  bool any = false;
  const auto collect = [&](Source& source, const model::Snapshot* snap) {
    refresh(source, snap);
    if (snap == nullptr || source.directory != snap->channels) return;
    for (std::size_t k = 0; k < source.ids.size(); ++k) {
      const auto id = source.ids[k];
      if (id >= snap->samples.size()) continue;
      const auto& s = snap->samples[id];
      auto& last = source.sent[k];
      const auto& info = snap->channels->info(id);
      // Only what a reader can see changed: the value at the channel's resolution or the
      // quality; the time alone (derived channels are restamped at every engine step) only
      // when it enters a new resend window, so the age a browser shows stays bounded. The
      // decision depends on the previous and the new snapshot only, so a message stays fully
      // determined by them (StreamMessageCache), and the sent state is always the snapshot.
      const bool changed =
          !last.valid || last.quality != s.quality ||
          (info.resolution > 0.0
               ? model::differs_at_resolution(last.value, s.value, info.resolution)
               : !same_value(last.value, s.value)) ||
          (s.time_ms != last.time_ms && floor_div(s.time_ms, kUnchangedResend_ms) !=
                                            floor_div(last.time_ms, kUnchangedResend_ms));
      last = Sent{s.value, s.time_ms, s.quality, true};
      if (!changed) continue;
      if (any) out += ',';
      any = true;
      append_json_string(out, info.name);
      out += R"(:{"quality":)";
      append_json_string(out, model::to_string(s.quality));
      out += R"(,"time_ms":)";
      append_integer(out, s.time_ms);
      out += R"(,"unit":)";
      append_json_string(out, info.unit);
      out += R"(,"value":)";
      if (info.resolution > 0.0 && std::isfinite(s.value)) {
        // 548.43, not 548.4300000000001; integral values keep their ".0" as below.
        const auto start = out.size();
        web::append_number(out, s.value, info.resolution);
        if (out.find_first_of(".e", start) == std::string::npos) out += ".0";
      } else {
        append_number(out, s.value);
      }
      out += '}';
    }
  };
  collect(plant_, plant);
  collect(derived_, derived);
  if (!any) return std::nullopt;
  out += R"(},"sequence":)";
  append_integer(out, plant ? static_cast<std::int64_t>(plant->sequence) : 0);
  out += R"(,"time_ms":)";
  append_integer(out, plant ? plant->time_ms : 0);
  out += R"(,"type":"values"})";
  return out;
}

}  // namespace btms::web
