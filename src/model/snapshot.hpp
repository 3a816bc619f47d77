// The published state of the plant: every channel's latest value with its sample time and quality.
// Acquisition builds a new Snapshot each cycle and publishes it; the engine and every consumer
// read the latest one. A Snapshot never changes after it is published (readers share it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>  // kept for includers that relied on it
#include <vector>

#include "model/publish_listeners.hpp"

namespace btms::model {

// Stale is a state of its own (Network UPS Tools): a value that was not renewed in time is
// never shown or served as fresh.
enum class Quality : std::uint8_t {
  ok,         // measured this cycle (or within the allowed age) and within the sensor's range
  stale,      // not renewed for the configured number of cycles
  comm_lost,  // the device does not answer
  invalid,    // out of the sensor's range, or the device flagged the measurement as bad
};
std::string_view to_string(Quality quality);

struct Sample {
  double value = 0.0;
  std::int64_t time_ms = 0;  // wall-clock (Unix epoch, ms) when the device latched the value
  Quality quality = Quality::comm_lost;
};

using ChannelId = std::uint32_t;

struct ChannelInfo {
  std::string name;  // e.g. battery/3/17/voltage
  std::string unit;  // e.g. V, A, °C, mΩ, kΩ, %RH, "" for states and flags
  // Smallest step the value can show (model::channel_resolution of the name; 0 = unknown):
  // history stores, the stream sends and the API prints values at it.
  double resolution = 0.0;
};

// Names of all channels of a gateway, fixed at start-up; a ChannelId indexes Snapshot::samples.
class ChannelDirectory {
 public:
  // Adds a channel; returns the existing id when the name is already there.
  ChannelId add(std::string name, std::string unit);
  std::optional<ChannelId> find(std::string_view name) const;
  const ChannelInfo& info(ChannelId id) const { return channels_.at(id); }
  std::size_t size() const { return channels_.size(); }
  // Channels whose name starts with prefix, in directory order ("" = all). O(log n + k log k)
  // for k matches: the names are kept sorted, so a string's channels are one range of them.
  std::vector<ChannelId> with_prefix(std::string_view prefix) const;

 private:
  std::vector<ChannelInfo> channels_;
  std::map<std::string, ChannelId, std::less<>> by_name_;  // sorted: prefixes are ranges
};

struct Snapshot {
  std::shared_ptr<const ChannelDirectory> channels;
  std::vector<Sample> samples;  // indexed by ChannelId, samples.size() == channels->size()
  std::uint64_t sequence = 0;   // increases by one with every publish
  std::int64_t time_ms = 0;     // when this snapshot was assembled
};

// Hands the latest snapshot from one writer to any number of readers. Publishing swaps a
// pointer under a mutex held for a few nanoseconds; readers copy the shared_ptr and then read
// without any lock, so a slow reader never delays the writer. A consumer that wants to know
// when something new is there subscribes (on_publish) instead of polling latest() on a timer.
class SnapshotPublisher {
 public:
  void publish(std::shared_ptr<const Snapshot> snapshot);
  std::shared_ptr<const Snapshot> latest() const;
  // `wake` runs on the publishing thread after every publish; it must only signal (see
  // publish_listeners.hpp). Keep the subscription as long as the wake-ups are wanted.
  [[nodiscard]] PublishListeners::Subscription on_publish(std::function<void()> wake) const {
    return listeners_.add(std::move(wake));
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Snapshot> latest_;
  PublishListeners listeners_;
};

}  // namespace btms::model
