// Per-client state of the WebSocket live stream: which channel prefixes the client subscribed
// to and what it was last sent, so each message carries only channels whose value, quality or
// time changed. Because the difference is taken against what was actually sent, a slow client
// simply gets fewer, larger messages holding the newest state (coalescing), never a backlog.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "model/snapshot.hpp"

namespace btms::web {

// {"subscribe": ["battery/1/", "string/"]} -> prefixes; otherwise the reason it is refused.
std::variant<std::vector<std::string>, std::string> parse_stream_request(std::string_view text);

class StreamDiffer {
 public:
  // Replaces the subscription; everything subscribed is sent again in the next message.
  void subscribe(std::vector<std::string> prefixes);
  bool subscribed() const { return subscribed_; }

  // The next {"type":"values",...} message, or nullopt when nothing subscribed changed.
  // Marks the sent state as the client's state.
  std::optional<std::string> next_message(const std::shared_ptr<const model::Snapshot>& plant,
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

  std::vector<std::string> prefixes_;
  bool subscribed_ = false;
  Source plant_;
  Source derived_;
};

}  // namespace btms::web
