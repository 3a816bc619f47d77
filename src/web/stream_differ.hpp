// Per-client state of the WebSocket live stream: which channel prefixes the client subscribed
// to and what it was last sent, so each message carries only channels whose value, quality or
// time changed. Because the difference is taken against what was actually sent, a slow client
// simply gets fewer, larger messages holding the newest state (coalescing), never a backlog.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/snapshot.hpp"

namespace btms::web {

// A client's stream request: {"subscribe": ["battery/1/", "string/"]}, and optionally
// "events_since_ms": T -- a reconnecting client (the aggregator) asking for the events made
// since T that it may have missed while it was away (StreamEventFeed::catch_up).
struct StreamRequest {
  std::vector<std::string> prefixes;
  std::optional<std::int64_t> events_since_ms;
};

// The request, or the reason it is refused.
std::variant<StreamRequest, std::string> parse_stream_request(std::string_view text);

// Messages one client was sent, offered to the others: a message is fully determined by the
// subscription, the snapshots the client's last message brought it to (or "just subscribed")
// and the newest snapshots, so 50 browsers watching the same channels share one serialization
// per snapshot instead of 50. Thread-safe; holds the last few messages only.
class StreamMessageCache {
 public:
  struct Key {
    std::vector<std::string> prefixes;
    bool fresh = false;  // the client has not been sent anything since subscribing
    // The snapshots the client's sent state equals (both null when fresh), and the newest. Held
    // (not just their addresses) so an address cannot be reused by another snapshot meanwhile.
    std::shared_ptr<const model::Snapshot> from_plant, from_derived, to_plant, to_derived;
    bool operator==(const Key&) const = default;
  };
  std::shared_ptr<const std::string> find(const Key& key) const;  // null when absent
  void put(Key key, std::shared_ptr<const std::string> message);

 private:
  static constexpr std::size_t kEntries = 8;
  mutable std::mutex mutex_;
  std::deque<std::pair<Key, std::shared_ptr<const std::string>>> entries_;  // newest last
};

class StreamDiffer {
 public:
  // cache may be null (every message is then built for this client alone).
  explicit StreamDiffer(std::shared_ptr<StreamMessageCache> cache = nullptr)
      : cache_(std::move(cache)) {}
  // Replaces the subscription; everything subscribed is sent again in the next message.
  void subscribe(std::vector<std::string> prefixes);
  bool subscribed() const { return subscribed_; }

  // The next {"type":"values",...} message, or nullopt when nothing subscribed changed.
  // Marks the sent state as the client's state.
  std::optional<std::string> next_message(const std::shared_ptr<const model::Snapshot>& plant,
                                          const std::shared_ptr<const model::Snapshot>& derived);
  // The same, shared (with the cache and other clients) instead of copied; null = nothing.
  std::shared_ptr<const std::string> next_shared_message(
      const std::shared_ptr<const model::Snapshot>& plant,
      const std::shared_ptr<const model::Snapshot>& derived);

 private:
  struct Sent {
    double value = 0.0;
    std::int64_t time_ms = 0;
    model::Quality quality = model::Quality::comm_lost;
    bool valid = false;
  };
  struct Source {
    std::shared_ptr<const model::ChannelDirectory> directory;  // ids below belong to it
    std::vector<model::ChannelId> ids;                         // subscribed channels
    std::vector<Sent> sent;                                    // parallel to ids
  };
  void refresh(Source& source, const model::Snapshot* snap);
  // Marks snap's values as sent, as building a message from it would (for a cached message).
  void mark_sent(Source& source, const model::Snapshot* snap);
  // True when source's sent state is exactly snap's values (or empty and snap null).
  static bool equals_snapshot(const Source& source, const model::Snapshot* snap);
  std::optional<std::string> build_message(const model::Snapshot* plant,
                                           const model::Snapshot* derived);

  // What the client's sent state is, for the cache key.
  enum class SentState { fresh, synced, unknown };
  std::shared_ptr<StreamMessageCache> cache_;
  SentState state_ = SentState::fresh;
  std::shared_ptr<const model::Snapshot> synced_plant_, synced_derived_;  // when synced

  std::vector<std::string> prefixes_;
  bool subscribed_ = false;
  Source plant_;
  Source derived_;
};

}  // namespace btms::web
