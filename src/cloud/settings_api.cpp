#include "cloud/settings_api.hpp"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "cloud/cloud_settings_edit.hpp"
#include "cloud/connection_test.hpp"

namespace btms::cloud {

namespace {

using nlohmann::json;

// A connection test answers within this: long enough for a TLS handshake over a slow link,
// short enough for a button in a web page.
constexpr std::chrono::milliseconds kTestTimeout{5000};

}  // namespace

std::string broker_url(const BrokerAddress& broker) {
  const bool ipv6 = broker.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", broker.tls ? "mqtts" : "mqtt", ipv6 ? "[" : "", broker.host,
                     ipv6 ? "]" : "", broker.port);
}

std::string settings_json(const CloudConfig& config, const std::optional<CloudHealth>& health,
                          const json& edits, bool editable) {
  const bool sparkplug = config.format == PayloadFormat::sparkplug;
  json out = json::object();
  json sources = json::object();
  for (const auto field : editable_fields()) {
    const std::string name(field);
    sources[name] = edits.contains(name) ? "edited" : "site file";
    if (field != kPasswordField) out[name] = field_value(config, field);
  }
  out["password_set"] = !config.password.empty();
  out["tls"] = config.broker.tls;
  out["topics"] = sparkplug ? fmt::format("spBv1.0/{}/+/{}/#", config.site_id, config.gateway_id)
                            : fmt::format("btms/{}/{}/#", config.site_id, config.gateway_id);
  out["sources"] = std::move(sources);
  out["edited"] = !edits.empty();
  out["editable"] = editable;
  if (health) {
    out["link"] = json{{"connected", health->connected},
                       {"connects", health->connects},
                       {"connect_failures", health->connect_failures},
                       {"acknowledged", health->acknowledged},
                       {"outbox_messages", health->outbox.rows},
                       {"last_error", health->last_error}};
  } else {
    out["link"] = nullptr;
  }
  return out.dump();
}

std::optional<CloudConfig> settings_to_test(const CloudConfig& current, const std::string& body,
                                            std::string* error) {
  const auto request = json::parse(body, nullptr, false);
  auto applied = apply_request(current, request);
  if (const auto* problem = std::get_if<FieldProblem>(&applied)) {
    *error = to_string(*problem);
    return std::nullopt;
  }
  auto& config = std::get<CloudConfig>(applied);
  const bool same_broker = config.broker.host == current.broker.host &&
                           config.broker.port == current.broker.port &&
                           config.broker.tls == current.broker.tls;
  if (!same_broker) {
    // Never hand the stored password or client certificate to another host unasked.
    if (!request.contains(kPasswordField) || request[kPasswordField].is_null())
      config.password.clear();
    if (!request.contains("cert_file")) config.cert_file.clear();
    if (!request.contains("key_file")) config.key_file.clear();
  }
  config.enabled = true;  // a test needs a broker whether the link is on or not
  if (const auto problem = check_settings(config, FileCheck::check)) {
    *error = to_string(*problem);
    return std::nullopt;
  }
  return config;
}

std::pair<int, std::string> connection_test_response(const CloudConfig& current,
                                                     const std::string& body) {
  std::string error;
  const auto config = settings_to_test(current, body, &error);
  if (!config) return {400, json{{"error", error}}.dump()};
  const auto result = test_broker_connection(*config, kTestTimeout);
  return {200, json{{"ok", result.outcome == ConnectionOutcome::ok},
                    {"outcome", std::string(to_string(result.outcome))},
                    {"detail", result.detail},
                    {"elapsed_ms", result.elapsed_ms},
                    {"broker", broker_url(config->broker)}}
                   .dump()};
}

}  // namespace btms::cloud
