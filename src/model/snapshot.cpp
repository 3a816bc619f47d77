#include "model/snapshot.hpp"

#include "model/channel_resolution.hpp"

#include <algorithm>

namespace btms::model {

std::string_view to_string(Quality quality) {
  switch (quality) {
    case Quality::ok:
      return "ok";
    case Quality::stale:
      return "stale";
    case Quality::comm_lost:
      return "comm_lost";
    case Quality::invalid:
      return "invalid";
  }
  return "invalid";
}

ChannelId ChannelDirectory::add(std::string name, std::string unit) {
  if (auto it = by_name_.find(name); it != by_name_.end()) return it->second;
  const auto id = static_cast<ChannelId>(channels_.size());
  by_name_.emplace(name, id);
  const double resolution = channel_resolution(name);
  channels_.push_back(ChannelInfo{std::move(name), std::move(unit), resolution});
  return id;
}

std::optional<ChannelId> ChannelDirectory::find(std::string_view name) const {
  if (auto it = by_name_.find(name); it != by_name_.end()) return it->second;
  return std::nullopt;
}

std::vector<ChannelId> ChannelDirectory::with_prefix(std::string_view prefix) const {
  std::vector<ChannelId> ids;
  for (auto it = by_name_.lower_bound(prefix);
       it != by_name_.end() && std::string_view(it->first).starts_with(prefix); ++it)
    ids.push_back(it->second);
  std::sort(ids.begin(), ids.end());  // directory order, as callers expect
  return ids;
}

void SnapshotPublisher::publish(std::shared_ptr<const Snapshot> snapshot) {
  {
    std::lock_guard lock(mutex_);
    latest_.swap(snapshot);
  }
  // The previous snapshot (now in `snapshot`) is released after the lock is dropped; the
  // consumers are woken once the new one is readable.
  listeners_.notify();
}

std::shared_ptr<const Snapshot> SnapshotPublisher::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

}  // namespace btms::model
