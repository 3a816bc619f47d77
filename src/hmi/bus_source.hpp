// The standalone display's source (btms hmi --config): reads the cabinet's field devices itself
// with the gateway's acquisition (fieldbus::Acquisition, read-only: it sends no write at all),
// and fills the same SiteView the gateway link fills: topology from the site file, battery
// voltage, temperature and resistance and string voltage and current from the plant channels
// with their quality and age. What needs the engine (SOC, SOH, string state, alarms) stays
// unknown ("--"): no engine runs here. Alarm actions and renaming are refused (read-only).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "hmi/site_source.hpp"
#include "model/clock.hpp"
#include "model/publish_listeners.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::fieldbus {
class Acquisition;
}

namespace btms::hmi {

// The part of an /api/v1/topology answer the SiteView reads, made from the site file.
nlohmann::json site_topology_json(const model::Site& site);

// The view's channels ({"name": {"value", "quality", "time_ms"}}) of one snapshot: battery and
// string channels only (the ones the screens show).
nlohmann::json snapshot_channels_json(const model::Snapshot& snapshot,
                                      const std::vector<model::ChannelId>& shown);

class BusSource : public SiteSource {
 public:
  // wake is called from the bus threads after every published cycle; it must only signal.
  BusSource(const model::Site& site, std::shared_ptr<const model::Clock> clock,
            std::function<void()> wake);
  ~BusSource() override;
  BusSource(const BusSource&) = delete;
  BusSource& operator=(const BusSource&) = delete;

  void start() override;
  void stop() override;
  SiteView view() const override;
  // Read-only: every action only says so on the status line.
  void acknowledge(const std::string& key, const std::string& source,
                   const std::string& comment = "acknowledged on the HMI") override;
  void show_notice(std::string text) override;
  void rename(const std::string& target, const std::string& name) override;

 private:
  void refresh() const;  // applies the newest snapshot once (mutex_ held)

  std::shared_ptr<const model::Clock> clock_;
  std::function<void()> wake_;
  std::shared_ptr<model::SnapshotPublisher> publisher_;
  std::unique_ptr<fieldbus::Acquisition> acquisition_;
  std::vector<model::ChannelId> shown_;
  model::PublishListeners::Subscription subscription_;

  mutable std::mutex mutex_;
  mutable SiteView view_;
  mutable std::uint64_t applied_sequence_ = 0;
};

}  // namespace btms::hmi
