#include "model/topology.hpp"

namespace btms::model {

const BatteryType* Site::find_battery_type(const std::string& type_name) const {
  for (const auto& t : battery_types) {
    if (t.name == type_name) return &t;
  }
  return nullptr;
}

const Bus* Site::find_bus(const std::string& bus_name) const {
  for (const auto& b : buses) {
    if (b.name == bus_name) return &b;
  }
  return nullptr;
}

const Ups* Site::find_ups(int ups_id) const {
  for (const auto& u : upses) {
    if (u.id == ups_id) return &u;
  }
  return nullptr;
}

const String* Site::find_string(int string_id) const {
  for (const auto& s : strings) {
    if (s.id == string_id) return &s;
  }
  return nullptr;
}

int Site::total_batteries() const {
  int n = 0;
  for (const auto& s : strings) n += s.batteries;
  return n;
}

}  // namespace btms::model
