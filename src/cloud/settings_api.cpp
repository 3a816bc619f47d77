#include "cloud/settings_api.hpp"

#include <fmt/format.h>

#include <chrono>
#include <nlohmann/json.hpp>

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

std::string settings_json(const CloudConfig& config, const std::optional<CloudHealth>& health) {
  const bool sparkplug = config.format == PayloadFormat::sparkplug;
  json out{
      {"enabled", config.enabled},
      {"broker", config.broker.host.empty() ? "" : broker_url(config.broker)},
      {"client_id", config.client_id},
      {"format", std::string(to_string(config.format))},
      {"tls", config.broker.tls},
      {"username", config.username},
      {"password_set", !config.password.empty()},
      {"site_id", config.site_id},
      {"gateway_id", config.gateway_id},
      {"ca_file", config.ca_file},
      {"cert_file", config.cert_file},
      {"key_file", config.key_file},
      {"topics", sparkplug ? fmt::format("spBv1.0/{}/+/{}/#", config.site_id, config.gateway_id)
                           : fmt::format("btms/{}/{}/#", config.site_id, config.gateway_id)},
  };
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
  if (!request.is_object()) {
    *error = "body must be a JSON object: {\"broker\":\"mqtt://host:port\", ...}";
    return std::nullopt;
  }
  for (const char* key : {"broker", "client_id", "username", "password", "ca_file"}) {
    if (request.contains(key) && !request[key].is_string()) {
      *error = fmt::format("{} must be a string", key);
      return std::nullopt;
    }
  }
  CloudConfig config = current;
  const auto text = [&](const char* key, const std::string& fallback) {
    return request.contains(key) ? request[key].get<std::string>() : fallback;
  };
  const auto url = text("broker", current.broker.host.empty() ? "" : broker_url(current.broker));
  auto address = parse_broker_url(url, error);
  if (!address) {
    *error = "broker: " + *error;
    return std::nullopt;
  }
  const bool same_broker = address->host == current.broker.host &&
                           address->port == current.broker.port &&
                           address->tls == current.broker.tls && !current.broker.host.empty();
  config.broker = *address;
  config.client_id = text("client_id", current.client_id);
  config.username = text("username", current.username);
  if (request.contains("password")) {
    config.password = request["password"].get<std::string>();
  } else if (!same_broker) {
    config.password.clear();  // never hand the stored password to another host
  }
  if (!same_broker) {
    config.cert_file.clear();
    config.key_file.clear();
  }
  config.ca_file = text("ca_file", current.ca_file);
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
