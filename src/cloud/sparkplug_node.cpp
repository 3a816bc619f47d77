#include "cloud/sparkplug_node.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>

#include "cloud/sparkplug_b.pb.h"
#include "model/channel_resolution.hpp"

namespace btms::cloud {

namespace {

using SparkplugPayload = org::eclipse::tahu::protobuf::Payload;
using SparkplugMetric = org::eclipse::tahu::protobuf::Payload_Metric;

// "3/rest" -> 3 and "rest"; nullopt when it does not start with a number and '/'.
std::optional<std::pair<int, std::string_view>> leading_number(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || end == text.data() + text.size() || *end != '/')
    return std::nullopt;
  return std::pair{value, text.substr(static_cast<std::size_t>(end - text.data()) + 1)};
}

void set_value(SparkplugMetric& m, SparkplugDataType type, double value, double resolution) {
  m.set_datatype(static_cast<std::uint32_t>(type));
  if (!std::isfinite(value)) {
    m.set_is_null(true);
    return;
  }
  if (type == SparkplugDataType::int32) {
    // Int32 travels in the uint32 int_value as its two's complement (Sparkplug 3.0, 6.4.16).
    m.set_int_value(static_cast<std::uint32_t>(static_cast<std::int32_t>(std::llround(value))));
  } else {
    m.set_double_value(model::round_to_resolution(value, resolution));
  }
}

void set_quality(SparkplugMetric& m, model::Quality quality) {
  auto* properties = m.mutable_properties();
  properties->add_keys("quality");
  auto* v = properties->add_values();
  v->set_type(static_cast<std::uint32_t>(SparkplugDataType::string));
  v->set_string_value(std::string(model::to_string(quality)));
}

}  // namespace

SparkplugNode::SparkplugNode(const CloudConfig& config, const model::Site& site)
    : config_(config), group_(config.site_id), node_(config.gateway_id) {
  for (const auto& s : site.strings) string_ids_.push_back(s.id);
}

std::string SparkplugNode::topic(std::string_view type, std::string_view device) const {
  auto t = fmt::format("{}/{}/{}/{}", kSparkplugNamespace, group_, type, node_);
  if (!device.empty()) fmt::format_to(std::back_inserter(t), "/{}", device);
  return t;
}

std::string SparkplugNode::device_id(int string_id) {
  return fmt::format("string-{}", string_id);
}

double SparkplugNode::deadband_for(std::string_view unit) const {
  if (unit == "V") return config_.deadband_voltage_V;
  if (unit == "°C") return config_.deadband_temperature_C;
  if (unit == "mΩ") return config_.deadband_resistance_mOhm;
  if (unit == "%") return config_.deadband_percent;
  return 0;
}

void SparkplugNode::resolve(const model::Snapshot& plant, const model::Snapshot& derived) {
  if (plant_dir_ == plant.channels.get() && derived_dir_ == derived.channels.get()) return;
  plant_dir_ = plant.channels.get();
  derived_dir_ = derived.channels.get();
  std::map<int, int> device_of_string;  // string id -> device index
  for (std::size_t i = 0; i < string_ids_.size(); ++i)
    device_of_string[string_ids_[i]] = static_cast<int>(i);
  // Node metrics, then each device's: aliases in this order, after bdSeq and Rebirth.
  std::vector<std::vector<MetricDef>> by_device(string_ids_.size() + 1);
  for (const auto* snap : {&plant, &derived}) {
    const auto& dir = *snap->channels;
    for (model::ChannelId id = 0; id < dir.size(); ++id) {
      const auto& info = dir.info(id);
      MetricDef def;
      def.from_plant = snap == &plant;
      def.channel = id;
      def.resolution = info.resolution;
      def.deadband = deadband_for(info.unit);
      def.datatype = info.unit.empty() && info.resolution >= 1 ? SparkplugDataType::int32
                                                               : SparkplugDataType::float64;
      const std::string_view name = info.name;
      const bool string_channel = name.starts_with("string/");
      const bool battery_channel = name.starts_with("battery/");
      if (string_channel || battery_channel) {
        const auto parsed = leading_number(name.substr(name.find('/') + 1));
        const auto it = parsed ? device_of_string.find(parsed->first) : device_of_string.end();
        if (it != device_of_string.end()) {
          def.device = it->second;
          def.name = battery_channel ? "battery/" + std::string(parsed->second)
                                     : std::string(parsed->second);
          by_device[static_cast<std::size_t>(def.device) + 1].push_back(std::move(def));
          continue;
        }
      }
      def.name = info.name;
      by_device[0].push_back(std::move(def));
    }
  }
  metrics_.clear();
  std::uint64_t alias = kRebirthAlias + 1;
  for (auto& list : by_device) {
    for (auto& def : list) {
      def.alias = alias++;
      metrics_.push_back(std::move(def));
    }
  }
  sent_.assign(metrics_.size(), Sent{});
  if (births_built_) layout_changed_ = true;
}

bool SparkplugNode::take_layout_changed() {
  const bool changed = layout_changed_;
  layout_changed_ = false;
  return changed;
}

std::vector<OutgoingMessage> SparkplugNode::on_step(const engine::StepBundle& bundle) {
  std::vector<OutgoingMessage> out;
  if (!bundle.plant || !bundle.derived || !bundle.plant->channels || !bundle.derived->channels)
    return out;
  resolve(*bundle.plant, *bundle.derived);
  latest_ = std::make_shared<const engine::StepBundle>(bundle);
  // One payload per device (index + 1; 0 = the node), built as metrics change.
  std::vector<SparkplugPayload> payloads(string_ids_.size() + 1);
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    const auto& def = metrics_[i];
    const auto& snap = def.from_plant ? *bundle.plant : *bundle.derived;
    if (def.channel >= snap.samples.size()) continue;
    const auto& sample = snap.samples[def.channel];
    auto& sent = sent_[i];
    if (!sent.known) {
      // Not sent yet: the births carry it.
      sent = {sample.value, sample.quality, true};
      continue;
    }
    const bool changed =
        sample.quality != sent.quality ||
        (def.deadband > 0 ? std::fabs(sample.value - sent.value) > def.deadband
                          : model::differs_at_resolution(sample.value, sent.value, def.resolution));
    if (!changed) continue;
    sent = {sample.value, sample.quality, true};
    auto& payload = payloads[static_cast<std::size_t>(def.device + 1)];
    auto* m = payload.add_metrics();
    m->set_alias(def.alias);
    m->set_timestamp(static_cast<std::uint64_t>(sample.time_ms));
    set_value(*m, def.datatype, sample.value, def.resolution);
    set_quality(*m, sample.quality);
  }
  for (std::size_t d = 0; d < payloads.size(); ++d) {
    auto& payload = payloads[d];
    if (payload.metrics_size() == 0) continue;
    payload.set_timestamp(static_cast<std::uint64_t>(bundle.time_ms));
    out.push_back({d == 0 ? topic("NDATA") : topic("DDATA", device_id(string_ids_[d - 1])),
                   payload.SerializeAsString(), false, MessageKind::telemetry, false});
  }
  return out;
}

std::vector<OutgoingMessage> SparkplugNode::births(std::uint64_t bd_seq, std::int64_t now_ms) {
  std::vector<OutgoingMessage> out;
  if (!latest_) return out;
  births_built_ = true;
  std::vector<SparkplugPayload> payloads(string_ids_.size() + 1);
  for (auto& p : payloads) p.set_timestamp(static_cast<std::uint64_t>(now_ms));
  {
    auto* m = payloads[0].add_metrics();
    m->set_name("bdSeq");
    m->set_alias(kBdSeqAlias);
    m->set_timestamp(static_cast<std::uint64_t>(now_ms));
    m->set_datatype(static_cast<std::uint32_t>(SparkplugDataType::int64));
    m->set_long_value(bd_seq);
    auto* rebirth = payloads[0].add_metrics();
    rebirth->set_name(std::string(kRebirthMetric));
    rebirth->set_alias(kRebirthAlias);
    rebirth->set_timestamp(static_cast<std::uint64_t>(now_ms));
    rebirth->set_datatype(static_cast<std::uint32_t>(SparkplugDataType::boolean));
    rebirth->set_boolean_value(false);
  }
  for (std::size_t i = 0; i < metrics_.size(); ++i) {
    const auto& def = metrics_[i];
    const auto& snap = def.from_plant ? *latest_->plant : *latest_->derived;
    if (def.channel >= snap.samples.size()) continue;
    const auto& sample = snap.samples[def.channel];
    // From here on, DATA messages carry what changed against the births' values.
    sent_[i] = {sample.value, sample.quality, true};
    auto* m = payloads[static_cast<std::size_t>(def.device + 1)].add_metrics();
    m->set_name(def.name);
    m->set_alias(def.alias);
    m->set_timestamp(static_cast<std::uint64_t>(sample.time_ms));
    set_value(*m, def.datatype, sample.value, def.resolution);
    set_quality(*m, sample.quality);
  }
  for (std::size_t d = 0; d < payloads.size(); ++d) {
    out.push_back({d == 0 ? topic("NBIRTH") : topic("DBIRTH", device_id(string_ids_[d - 1])),
                   payloads[d].SerializeAsString(), false, MessageKind::telemetry, false});
  }
  return out;
}

std::string SparkplugNode::death_payload(std::uint64_t bd_seq, std::int64_t now_ms) const {
  SparkplugPayload payload;
  payload.set_timestamp(static_cast<std::uint64_t>(now_ms));
  auto* m = payload.add_metrics();
  m->set_name("bdSeq");
  m->set_timestamp(static_cast<std::uint64_t>(now_ms));
  m->set_datatype(static_cast<std::uint32_t>(SparkplugDataType::int64));
  m->set_long_value(bd_seq);
  return payload.SerializeAsString();
}

bool SparkplugNode::rebirth_requested(std::string_view t, const std::string& payload) const {
  if (t != topic("NCMD")) return false;
  SparkplugPayload command;
  if (!command.ParseFromString(payload)) return false;
  for (const auto& m : command.metrics()) {
    const bool is_rebirth =
        m.has_name() ? m.name() == kRebirthMetric : (m.has_alias() && m.alias() == kRebirthAlias);
    if (is_rebirth && m.has_boolean_value() && m.boolean_value()) return true;
  }
  return false;
}

std::string SparkplugNode::stamped(const std::string& payload, std::uint64_t seq, bool historical) {
  SparkplugPayload p;
  if (!p.ParseFromString(payload)) return payload;
  p.set_seq(seq);
  if (historical)
    for (auto& m : *p.mutable_metrics()) m.set_is_historical(true);
  return p.SerializeAsString();
}

std::uint64_t load_next_bd_seq(const std::string& path) {
  std::ifstream in(path);
  std::uint64_t value = 0;
  if (in >> value) return value % 256;
  return 0;
}

void save_next_bd_seq(const std::string& path, std::uint64_t bd_seq) {
  const auto temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << bd_seq % 256 << "\n";
    if (!out) return;
  }
  std::rename(temp.c_str(), path.c_str());
}

}  // namespace btms::cloud
