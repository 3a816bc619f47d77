#include "hmi/bus_source.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "fieldbus/acquisition.hpp"
#include "model/plant_channels.hpp"

namespace btms::hmi {

using nlohmann::json;

json site_topology_json(const model::Site& site) {
  json upses = json::array();
  for (const auto& u : site.upses) {
    json strings = json::array();
    for (const auto& s : site.strings) {
      if (s.ups_id == u.id) strings.push_back(s.id);
    }
    upses.push_back(json{{"id", u.id}, {"name", u.name}, {"strings", std::move(strings)}});
  }
  json strings = json::array();
  for (const auto& s : site.strings) {
    strings.push_back(
        json{{"id", s.id}, {"ups_id", s.ups_id}, {"name", s.name}, {"batteries", s.batteries}});
  }
  return json{{"site", site.name}, {"upses", std::move(upses)}, {"strings", std::move(strings)}};
}

json snapshot_channels_json(const model::Snapshot& snapshot,
                            const std::vector<model::ChannelId>& shown) {
  json channels = json::object();
  for (const auto id : shown) {
    if (id >= snapshot.samples.size()) continue;
    const auto& sample = snapshot.samples[id];
    json value = std::isfinite(sample.value) ? json(sample.value) : json(nullptr);
    channels[snapshot.channels->info(id).name] =
        json{{"value", std::move(value)},
             {"quality", std::string(model::to_string(sample.quality))},
             {"time_ms", sample.time_ms}};
  }
  return channels;
}

BusSource::BusSource(const model::Site& site, std::shared_ptr<const model::Clock> clock,
                     std::function<void()> wake)
    : clock_(clock ? std::move(clock) : model::system_clock()),
      wake_(std::move(wake)),
      publisher_(std::make_shared<model::SnapshotPublisher>()) {
  auto channels = model::build_plant_channels(site);
  for (const auto& s : channels.strings) {
    shown_.push_back(s.voltage);
    shown_.push_back(s.current);
    for (const auto& b : s.batteries) {
      shown_.push_back(b.voltage);
      shown_.push_back(b.temperature);
      shown_.push_back(b.resistance);
    }
  }
  fieldbus::AcquisitionOptions options;
  options.clock = clock_;
  options.read_only = true;  // a display never commands: no heartbeat, relay or identity write
  acquisition_ =
      std::make_unique<fieldbus::Acquisition>(site, std::move(channels), publisher_, options);
  view_.apply_topology(site_topology_json(site));
  std::string buses;
  for (const auto& b : site.buses) buses += (buses.empty() ? "" : ", ") + b.name;
  view_.standalone = true;
  view_.gateway_name = buses;
  view_.link.detail = buses;
}

BusSource::~BusSource() {
  stop();
}

void BusSource::start() {
  subscription_ = publisher_->on_publish(wake_);
  acquisition_->start();
}

void BusSource::stop() {
  acquisition_->stop();
  subscription_.reset();
}

void BusSource::refresh() const {
  const auto snapshot = publisher_->latest();
  if (!snapshot || snapshot->sequence == applied_sequence_) return;
  applied_sequence_ = snapshot->sequence;
  view_.apply_channels(snapshot_channels_json(*snapshot, shown_));
  view_.set_gateway_time_ms(snapshot->time_ms, clock_->now_ms());
  // The "link" of a standalone display is its buses: up while any shown device answers.
  bool any_ok = false;
  for (const auto id : shown_) {
    if (id < snapshot->samples.size() && snapshot->samples[id].quality == model::Quality::ok) {
      any_ok = true;
      break;
    }
  }
  if (any_ok) {
    view_.link.state = LinkState::connected;
    view_.link.lost_since_ms = 0;
  } else if (view_.link.state != LinkState::lost) {
    view_.link.state = LinkState::lost;
    view_.link.detail = "no field device answers on " + view_.gateway_name;
    view_.link.lost_since_ms = clock_->now_ms();
  }
}

SiteView BusSource::view() const {
  std::lock_guard lock(mutex_);
  refresh();
  return view_;
}

void BusSource::acknowledge(const std::string&, const std::string&, const std::string&) {
  show_notice("standalone: read-only, acknowledge on the gateway");
}

void BusSource::show_notice(std::string text) {
  {
    std::lock_guard lock(mutex_);
    view_.notice = std::move(text);
  }
  if (wake_) wake_();
}

void BusSource::rename(const std::string&, const std::string&) {
  show_notice("standalone: read-only, rename on the gateway");
}

}  // namespace btms::hmi
