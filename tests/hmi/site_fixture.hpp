// A site of `upses` UPSs with two strings of `batteries` each, as /api/v1/topology answers it,
// and values for every battery as /api/v1/live answers them.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "hmi/site_view.hpp"

namespace btms::hmi::test {

inline nlohmann::json topology(int upses, int batteries) {
  using nlohmann::json;
  json u = json::array();
  json s = json::array();
  for (int k = 1; k <= upses; ++k) {
    u.push_back(json{{"id", k},
                     {"name", "Hall " + std::to_string(k)},
                     {"strings", json::array({2 * k - 1, 2 * k})}});
    for (const int id : {2 * k - 1, 2 * k}) {
      s.push_back(json{{"id", id},
                       {"ups_id", k},
                       {"name", "Str" + std::to_string(id)},
                       {"batteries", batteries}});
    }
  }
  return json{{"site", "Test site"}, {"upses", u}, {"strings", s}};
}

inline nlohmann::json sample(double value, const char* quality = "ok",
                             std::int64_t time_ms = 1'000'000) {
  return nlohmann::json{{"value", value}, {"quality", quality}, {"time_ms", time_ms}};
}

// Battery p of string s: 13.500 + p/1000 V, 25.0 + s/10 °C, 3.500 mΩ (baseline 3.000), SOC 90,
// SOH 95; string voltage the sum; UPS and string states.
inline nlohmann::json values(int upses, int batteries, std::int64_t time_ms = 1'000'000) {
  nlohmann::json ch = nlohmann::json::object();
  for (int k = 1; k <= upses; ++k) {
    ch["ups/" + std::to_string(k) + "/voltage"] = sample(540.0 + k, "ok", time_ms);
    ch["ups/" + std::to_string(k) + "/current"] = sample(-2.5, "ok", time_ms);
    ch["ups/" + std::to_string(k) + "/soc"] = sample(97, "ok", time_ms);
  }
  for (int s = 1; s <= 2 * upses; ++s) {
    const auto id = "string/" + std::to_string(s);
    ch[id + "/voltage"] = sample(540.25, "ok", time_ms);
    ch[id + "/current"] = sample(-1.2, "ok", time_ms);
    ch[id + "/soc"] = sample(96, "ok", time_ms);
    ch[id + "/state"] = sample(0, "ok", time_ms);
    ch[id + "/balance"] = sample(98, "ok", time_ms);
    ch[id + "/relay_closed"] = sample(1, "ok", time_ms);
    for (int p = 1; p <= batteries; ++p) {
      const auto b = "battery/" + std::to_string(s) + "/" + std::to_string(p);
      ch[b + "/voltage"] = sample(13.5 + p / 1000.0, "ok", time_ms);
      ch[b + "/temperature"] = sample(25.0 + s / 10.0, "ok", time_ms);
      ch[b + "/resistance"] = sample(3.5, "ok", time_ms);
      ch[b + "/resistance_baseline"] = sample(3.0, "ok", time_ms);
      ch[b + "/soc"] = sample(90, "ok", time_ms);
      ch[b + "/soh"] = sample(95, "ok", time_ms);
    }
  }
  return ch;
}

inline SiteView connected_site(int upses, int batteries) {
  SiteView site;
  site.apply_topology(topology(upses, batteries));
  site.apply_channels(values(upses, batteries));
  site.link.state = LinkState::connected;
  site.gateway_name = "127.0.0.1:8080";
  return site;
}

inline nlohmann::json alarm(const std::string& source, const std::string& severity,
                            const std::string& text, bool acknowledged = false) {
  return nlohmann::json{{"key", source + ":rule"},
                        {"source", source},
                        {"severity", severity},
                        {"text", text},
                        {"value", 47.1},
                        {"since_ms", 999'000},
                        {"acknowledged", acknowledged}};
}

}  // namespace btms::hmi::test
