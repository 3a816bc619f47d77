#include "cloud/home_assistant_discovery.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

namespace btms::cloud {

namespace {

// One sensor of a JSON tree topic: which field, with which class and unit.
struct SensorSpec {
  const char* field;         // key in the tree's payload ("voltage")
  const char* name;          // entity name shown in Home Assistant
  const char* device_class;  // "" = none (resistance has no class)
  const char* unit;
  bool numeric;  // with state_class measurement
};

constexpr SensorSpec kBatterySensors[] = {
    {"voltage", "Voltage", "voltage", "V", true},
    {"temperature", "Temperature", "temperature", "°C", true},
    {"resistance", "Resistance", "", "mΩ", true},
    {"soc", "SOC", "battery", "%", true},
    {"soh", "SOH", "", "%", true},
};

// Read from the UPS topic (the UPS's strings together; telemetry_tree.hpp).
constexpr SensorSpec kUpsSensors[] = {
    {"current", "Current", "current", "A", true},
    {"strings_in_error", "Strings in error", "", "", true},
};

constexpr SensorSpec kStringSensors[] = {
    {"voltage", "Voltage", "voltage", "V", true},
    {"current", "Current", "current", "A", true},
    {"soc", "SOC", "battery", "%", true},
    {"balance", "Balance", "", "%", true},
};

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

// HA's MQTT sensor turns the rendered text "None" into unknown.
std::string fresh_value_template(const char* field) {
  return fmt::format(
      "{{% if value_json.{0} is defined and value_json.{0}.quality == 'ok' %}}"
      "{{{{ value_json.{0}.value }}}}{{% else %}}None{{% endif %}}",
      field);
}

struct Ids {
  std::string node;    // btms_<site>_<gateway>
  std::string prefix;  // btms/<site>/<gateway>
};

std::string device_json(const std::string& identifier, const std::string& name,
                        const std::string& via) {
  std::string out = "{\"identifiers\":[" + json_string(identifier) +
                    "],\"name\":" + json_string(name) +
                    ",\"manufacturer\":\"BTMS\",\"model\":\"btms gateway\"";
  if (!via.empty()) out += ",\"via_device\":" + json_string(via);
  return out + "}";
}

std::string common_json(const Ids& ids, const std::string& unique_id, const std::string& name,
                        const std::string& state_topic, const std::string& device,
                        int expire_after_s) {
  return fmt::format(
      "\"name\":{},\"unique_id\":{},\"object_id\":{},\"state_topic\":{},"
      "\"availability_topic\":{},\"payload_available\":\"online\","
      "\"payload_not_available\":\"offline\",\"expire_after\":{},\"device\":{}",
      json_string(name), json_string(unique_id), json_string(unique_id), json_string(state_topic),
      json_string(ids.prefix + "/status"), expire_after_s, device);
}

OutgoingMessage sensor(const std::string& ha_prefix, const Ids& ids, const std::string& object,
                       const SensorSpec& spec, const std::string& state_topic,
                       const std::string& device, int expire_after_s) {
  const auto unique_id = ids.node + "_" + object;
  std::string payload =
      "{" + common_json(ids, unique_id, spec.name, state_topic, device, expire_after_s);
  if (spec.device_class[0] != '\0') {
    payload += ",\"device_class\":" + json_string(spec.device_class);
  }
  if (spec.unit[0] != '\0') payload += ",\"unit_of_measurement\":" + json_string(spec.unit);
  if (spec.numeric) payload += ",\"state_class\":\"measurement\"";
  payload += ",\"value_template\":" + json_string(fresh_value_template(spec.field)) + "}";
  return {fmt::format("{}/sensor/{}/{}/config", ha_prefix, ids.node, object), std::move(payload),
          true, MessageKind::alarm, false};
}

}  // namespace

std::vector<OutgoingMessage> home_assistant_configs(const CloudConfig& config,
                                                    const model::Site& site) {
  Ids ids;
  ids.node = "btms_" + config.site_id + "_" + config.gateway_id;
  ids.prefix = "btms/" + config.site_id + "/" + config.gateway_id;
  const auto& ha = config.home_assistant_prefix;
  const int battery_expiry_s = 3 * config.battery_interval_s;
  const int summary_expiry_s = 3 * config.summary_interval_s;
  std::vector<OutgoingMessage> out;

  const auto gateway_device =
      device_json(ids.node, fmt::format("BTMS {} {}", site.name, config.gateway_id), "");
  {
    // The link itself: connectivity from the retained status (never expires: the will says it).
    const auto unique_id = ids.node + "_link";
    out.push_back(
        {fmt::format("{}/binary_sensor/{}/link/config", ha, ids.node),
         fmt::format("{{\"name\":\"Cloud link\",\"unique_id\":{},\"object_id\":{},"
                     "\"state_topic\":{},\"payload_on\":\"online\",\"payload_off\":\"offline\","
                     "\"device_class\":\"connectivity\",\"device\":{}}}",
                     json_string(unique_id), json_string(unique_id),
                     json_string(ids.prefix + "/status"), gateway_device),
         true, MessageKind::alarm, false});
  }
  // The status code in a summary: on while it is error (DeviceStatus 2: an alarm or trip
  // active), unknown while the status is not fresh.
  const auto alarm_config = [&](const std::string& object, const std::string& state_topic,
                                const std::string& device, int expire_after_s) {
    const auto unique_id = ids.node + "_" + object;
    std::string payload =
        "{" + common_json(ids, unique_id, "Alarm", state_topic, device, expire_after_s) +
        ",\"device_class\":\"problem\",\"value_template\":" +
        json_string(
            "{% if value_json.status is defined and value_json.status.quality == 'ok' "
            "%}{{ 'ON' if value_json.status.value | int(0) == 2 else 'OFF' }}{% else "
            "%}None{% endif %}") +
        "}";
    return OutgoingMessage{fmt::format("{}/binary_sensor/{}/{}/config", ha, ids.node, object),
                           std::move(payload), true, MessageKind::alarm, false};
  };
  // UPSs with strings (the UPS topic is built from its strings; one without has none).
  std::set<int> upses_with_strings;
  for (const auto& s : site.strings) upses_with_strings.insert(s.ups_id);
  for (const int ups_id : upses_with_strings) {
    const auto* ups = site.find_ups(ups_id);
    auto name = fmt::format("UPS {}", ups_id);
    if (ups && !ups->name.empty()) name += " " + ups->name;
    const auto device = device_json(fmt::format("{}_ups_{}", ids.node, ups_id), name, ids.node);
    const auto topic = fmt::format("{}/ups/{}", ids.prefix, ups_id);
    for (const auto& spec : kUpsSensors) {
      out.push_back(sensor(ha, ids, fmt::format("ups_{}_{}", ups_id, spec.field), spec, topic,
                           device, summary_expiry_s));
    }
    out.push_back(
        alarm_config(fmt::format("ups_{}_alarm", ups_id), topic, device, summary_expiry_s));
  }
  for (const auto& s : site.strings) {
    // One device per string, named with its UPS, attached to its UPS's device.
    const auto* ups = site.find_ups(s.ups_id);
    const auto string_identifier = fmt::format("{}_string_{}", ids.node, s.id);
    auto device_name = fmt::format("String {}", s.id);
    if (!s.name.empty()) device_name += " " + s.name;
    if (ups) device_name = fmt::format("UPS {} {} / {}", ups->id, ups->name, device_name);
    const auto string_device =
        device_json(string_identifier, device_name, fmt::format("{}_ups_{}", ids.node, s.ups_id));
    const auto summary_topic = fmt::format("{}/string/{}/summary", ids.prefix, s.id);
    for (const auto& spec : kStringSensors) {
      out.push_back(sensor(ha, ids, fmt::format("string_{}_{}", s.id, spec.field), spec,
                           summary_topic, string_device, summary_expiry_s));
    }
    out.push_back(alarm_config(fmt::format("string_{}_alarm", s.id), summary_topic, string_device,
                               summary_expiry_s));
    for (int p = 1; p <= s.batteries; ++p) {
      const auto battery_topic = fmt::format("{}/string/{}/battery/{}", ids.prefix, s.id, p);
      for (const auto& spec : kBatterySensors) {
        SensorSpec named = spec;
        const auto name = fmt::format("Battery {} {}", p, spec.name);
        named.name = name.c_str();
        out.push_back(sensor(ha, ids, fmt::format("battery_{}_{}_{}", s.id, p, spec.field), named,
                             battery_topic, string_device, battery_expiry_s));
      }
    }
  }
  return out;
}

std::vector<OutgoingMessage> home_assistant_removals(const std::vector<std::string>& before,
                                                     const std::vector<OutgoingMessage>& now) {
  std::set<std::string> current;
  for (const auto& m : now) current.insert(m.topic);
  std::vector<OutgoingMessage> out;
  for (const auto& topic : before) {
    if (!current.contains(topic)) out.push_back({topic, "", true, MessageKind::alarm, false});
  }
  return out;
}

std::vector<std::string> read_topic_list(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

void write_topic_list(const std::string& path, const std::vector<OutgoingMessage>& messages) {
  const auto temporary = path + ".new";
  {
    std::ofstream out(temporary, std::ios::trunc);
    for (const auto& m : messages) out << m.topic << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary);
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace btms::cloud
