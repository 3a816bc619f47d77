// The Sparkplug B payload format (Eclipse Sparkplug 3.0) of the cloud link: the gateway is one
// edge node, each string one device.
//
//   spBv1.0/<site_id>/NBIRTH/<gateway_id>            bdSeq, Node Control/Rebirth, and every
//                                                    channel that is not a string's or a
//                                                    battery's (UPS and site values)
//   spBv1.0/<site_id>/NDEATH/<gateway_id>            bdSeq: the MQTT will of the connection
//   spBv1.0/<site_id>/DBIRTH/<gateway_id>/string-<s> every metric of string s: its own channels
//                                                    ("voltage", "soc") and its batteries'
//                                                    ("battery/17/voltage")
//   spBv1.0/<site_id>/NDATA|DDATA/...                the metrics that changed (by alias)
//   spBv1.0/<site_id>/NCMD/<gateway_id>              "Node Control/Rebirth" = true: births again
//
// Metric names are the channel names of /api/v1/live below the device (the device is the
// string), aliases are fixed by the order of the channel directories, values are rounded to the
// channel's resolution and every metric carries its quality as the property "quality" (ok,
// stale, comm_lost, invalid), so a stale value is never taken for a fresh one.
//
// The DATA payloads go through the outbox without seq; the link stamps seq (and is_historical
// for the backlog after an outage) when it publishes them (stamped()), since seq counts the
// messages of one MQTT connection. Pure apart from its memory of what was sent (one thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/cloud_config.hpp"
#include "cloud/telemetry_tree.hpp"
#include "engine/step_publication.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::cloud {

// The Sparkplug DataType values this node sends (Sparkplug 3.0, 6.4.16).
enum class SparkplugDataType : std::uint32_t {
  int32 = 3,
  int64 = 4,
  uint32 = 7,
  float32 = 9,
  float64 = 10,
  boolean = 11,
  string = 12,
};

inline constexpr std::string_view kSparkplugNamespace = "spBv1.0";
inline constexpr std::string_view kRebirthMetric = "Node Control/Rebirth";
inline constexpr std::uint64_t kBdSeqAlias = 0;
inline constexpr std::uint64_t kRebirthAlias = 1;

class SparkplugNode {
 public:
  SparkplugNode(const CloudConfig& config, const model::Site& site);

  // spBv1.0/<group>/<type>/<node>[/<device>]
  std::string topic(std::string_view type, std::string_view device = {}) const;
  static std::string device_id(int string_id);

  // The NDEATH payload (bdSeq only), set as the will before each connection attempt.
  std::string death_payload(std::uint64_t bd_seq, std::int64_t now_ms) const;

  // NDATA and DDATA with the metrics that moved beyond their deadband (or changed quality)
  // since they were last sent, by alias; no seq. The first step only remembers its values:
  // the births carry them.
  std::vector<OutgoingMessage> on_step(const engine::StepBundle& bundle);
  // NBIRTH then one DBIRTH per string, with every metric (name, alias, datatype, value, quality)
  // of the newest step; no seq. Empty before the first step.
  std::vector<OutgoingMessage> births(std::uint64_t bd_seq, std::int64_t now_ms);
  // The channel directories changed (a configuration change): the births sent so far describe
  // other metrics, so the link must send new ones. Reading clears it.
  bool take_layout_changed();
  // Whether an NCMD message asks for a rebirth ("Node Control/Rebirth" = true, by name or
  // alias).
  bool rebirth_requested(std::string_view topic, const std::string& payload) const;

  // payload with seq set and, for backlog, every metric marked is_historical; a payload that
  // does not parse is returned unchanged.
  static std::string stamped(const std::string& payload, std::uint64_t seq, bool historical);

  std::size_t metric_count() const { return metrics_.size(); }

 private:
  struct MetricDef {
    std::string name;
    std::uint64_t alias = 0;
    SparkplugDataType datatype = SparkplugDataType::float64;
    bool from_plant = true;  // else derived
    model::ChannelId channel = 0;
    double resolution = 0;
    double deadband = 0;  // 0 = any change at the resolution
    int device = -1;      // index into devices_; -1 = node metric
  };
  struct Sent {
    double value = 0;
    model::Quality quality = model::Quality::comm_lost;
    bool known = false;
  };

  void resolve(const model::Snapshot& plant, const model::Snapshot& derived);
  double deadband_for(std::string_view unit) const;

  CloudConfig config_;
  std::vector<int> string_ids_;  // devices, in site order
  std::string group_, node_;
  const model::ChannelDirectory* plant_dir_ = nullptr;
  const model::ChannelDirectory* derived_dir_ = nullptr;
  std::vector<MetricDef> metrics_;  // node metrics first, then each device's
  std::vector<Sent> sent_;
  std::shared_ptr<const engine::StepBundle> latest_;
  bool births_built_ = false;
  bool layout_changed_ = false;
};

// bdSeq of the next connection, kept next to the outbox so that a restarted gateway goes on
// counting (0..255, wrapping) instead of repeating the number of its last death.
std::uint64_t load_next_bd_seq(const std::string& path);
void save_next_bd_seq(const std::string& path, std::uint64_t bd_seq);

}  // namespace btms::cloud
