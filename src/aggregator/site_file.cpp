#include "aggregator/site_file.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "gateway_api/gateway_http.hpp"
#include "model/config/config_parser.hpp"
#include "notify/notify_config.hpp"

namespace btms::aggregator {

namespace {

std::string trimmed(std::string text) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

[[noreturn]] void fail(const std::string& origin, const toml::source_region& where,
                       const std::string& reason) {
  throw SiteFileError(fmt::format("{}:{}: {}", origin, where.begin.line, reason));
}

std::string required_string(const toml::table& table, std::string_view key,
                            const std::string& origin) {
  const auto* node = table.get(key);
  if (node == nullptr) fail(origin, table.source(), fmt::format("gateway needs '{}'", key));
  const auto* value = node->as_string();
  if (value == nullptr) fail(origin, node->source(), fmt::format("'{}' must be a string", key));
  return value->get();
}

int required_port(const toml::node& node, std::string_view key, int min,
                  const std::string& origin) {
  const auto* value = node.as_integer();
  if (value == nullptr || value->get() < min || value->get() > 65535) {
    fail(origin, node.source(), fmt::format("'{}' must be a port number {}..65535", key, min));
  }
  return static_cast<int>(value->get());
}

// "HOST:PORT" or "[IPv6]:PORT" -> host and port; false when malformed.
bool split_host_port(std::string_view text, std::string& host, int& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) return false;
  auto h = text.substr(0, colon);
  if (h.front() == '[') {
    if (h.size() < 3 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string_view::npos) {
    return false;  // an IPv6 address needs brackets
  }
  if (std::any_of(h.begin(), h.end(), [](unsigned char c) { return std::isspace(c); })) {
    return false;
  }
  const auto digits = text.substr(colon + 1);
  if (digits.size() > 5 ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return false;
  }
  port = std::stoi(std::string(digits));
  host = std::string(h);
  return port >= 1 && port <= 65535;
}

void read_scada_table(const toml::node& node, SiteScadaSettings& scada, const std::string& origin) {
  const auto* table = node.as_table();
  if (table == nullptr) fail(origin, node.source(), "[scada] must be a table");
  scada.enabled = true;
  for (const auto& [k, v] : *table) {
    if (k == "bind") {
      const auto* bind = v.as_string();
      in_addr addr{};
      if (bind == nullptr || ::inet_pton(AF_INET, bind->get().c_str(), &addr) != 1) {
        fail(origin, v.source(), "scada.bind must be an IPv4 address such as \"0.0.0.0\"");
      }
      scada.bind = bind->get();
    } else if (k == "port") {
      scada.port = required_port(v, "scada.port", 0, origin);
    } else {
      fail(origin, v.source(), fmt::format("unknown key scada.{}", k.str()));
    }
  }
}

}  // namespace

int gateway_scada_port(const SiteFile& site, int site_port, std::size_t k) {
  const auto& entry = site.gateways.at(k - 1);
  if (entry.scada_port != 0) return entry.scada_port;
  return site_port == 0 ? 0 : site_port + static_cast<int>(k);
}

std::optional<ScadaPortProblem> scada_port_problem(const SiteFile& site, int site_port) {
  std::set<int> taken;
  if (site_port != 0) taken.insert(site_port);
  for (std::size_t k = 1; k <= site.gateways.size(); ++k) {
    const auto& entry = site.gateways[k - 1];
    const int port = gateway_scada_port(site, site_port, k);
    if (port > 65535) {
      return ScadaPortProblem{
          k, fmt::format("gateway '{}' would get SCADA port {} + {} = {}, above 65535: lower the "
                         "SCADA port or give the gateway a scada_port",
                         entry.name, site_port, k, port)};
    }
    if (port != 0 && !taken.insert(port).second) {
      return ScadaPortProblem{
          k, fmt::format("gateway '{}': SCADA port {} is already the site's or another gateway's",
                         entry.name, port)};
    }
  }
  return std::nullopt;
}

bool is_valid_gateway_name(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

const GatewayEntry* SiteFile::find(std::string_view name) const {
  for (const auto& g : gateways) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

SiteFile parse_site_file(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    throw SiteFileError(fmt::format("{}:{}: {}", origin, e.source().begin.line, e.description()));
  }
  SiteFile site;
  const auto folder = std::filesystem::path(origin).parent_path();
  std::vector<int> scada_port_lines;  // per gateway: its scada_port's line, else its table's
  int scada_line = 0;                 // the [scada] table's
  for (const auto& [key, node] : root) {
    if (key == "site") {
      const auto* table = node.as_table();
      if (table == nullptr) fail(origin, node.source(), "[site] must be a table");
      for (const auto& [k, v] : *table) {
        if (k != "name") fail(origin, v.source(), fmt::format("unknown key site.{}", k.str()));
        if (!v.is_string() || v.as_string()->get().empty()) {
          fail(origin, v.source(), "site.name must be a non-empty string");
        }
        site.site_name = v.as_string()->get();
      }
    } else if (key == "gateway") {
      const auto* array = node.as_array();
      if (array == nullptr) fail(origin, node.source(), "gateways are [[gateway]] tables");
      for (const auto& element : *array) {
        const auto* table = element.as_table();
        if (table == nullptr) fail(origin, element.source(), "gateways are [[gateway]] tables");
        for (const auto& [k, v] : *table) {
          if (k != "name" && k != "url" && k != "token_file" && k != "cert_pin_sha256" &&
              k != "ca_file" && k != "modbus" && k != "scada_port") {
            fail(origin, v.source(), fmt::format("unknown key gateway.{}", k.str()));
          }
        }
        GatewayEntry entry;
        entry.name = required_string(*table, "name", origin);
        if (!is_valid_gateway_name(entry.name)) {
          fail(origin, table->get("name")->source(),
               fmt::format("gateway name '{}': use 1..32 of a-z 0-9 _ -", entry.name));
        }
        if (site.find(entry.name) != nullptr) {
          fail(origin, table->get("name")->source(),
               fmt::format("gateway '{}' is listed twice", entry.name));
        }
        entry.url = required_string(*table, "url", origin);
        std::string url_error;
        const auto address = gateway_api::parse_gateway_url(entry.url, &url_error);
        if (!address) {
          fail(origin, table->get("url")->source(),
               fmt::format("gateway '{}': {}", entry.name, url_error));
        }
        entry.modbus_host = address->host;
        if (const auto* modbus = table->get("modbus")) {
          const auto* text = modbus->as_string();
          if (text == nullptr ||
              !split_host_port(text->get(), entry.modbus_host, entry.modbus_port)) {
            fail(origin, modbus->source(),
                 fmt::format("gateway '{}': modbus must be \"HOST:PORT\" (port 1..65535)",
                             entry.name));
          }
        }
        if (const auto* port = table->get("scada_port")) {
          entry.scada_port = required_port(*port, "scada_port", 1, origin);
          scada_port_lines.push_back(static_cast<int>(port->source().begin.line));
        } else {
          scada_port_lines.push_back(static_cast<int>(table->source().begin.line));
        }
        if (table->contains("token_file")) {
          entry.token_file = required_string(*table, "token_file", origin);
          auto path = std::filesystem::path(entry.token_file);
          if (path.is_relative()) path = folder / path;
          std::ifstream in(path);
          if (!in) {
            fail(origin, table->get("token_file")->source(),
                 fmt::format("gateway '{}': cannot read token file {}", entry.name, path.string()));
          }
          std::stringstream content;
          content << in.rdbuf();
          entry.token = trimmed(content.str());
          if (entry.token.empty()) {
            fail(origin, table->get("token_file")->source(),
                 fmt::format("gateway '{}': token file {} is empty", entry.name, path.string()));
          }
        }
        if (table->contains("cert_pin_sha256")) {
          auto pin = required_string(*table, "cert_pin_sha256", origin);
          std::erase(pin, ':');
          std::transform(pin.begin(), pin.end(), pin.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
          if (pin.size() != 64 || !std::all_of(pin.begin(), pin.end(), [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
              })) {
            fail(origin, table->get("cert_pin_sha256")->source(),
                 "cert_pin_sha256 must be 64 hex digits (colons allowed)");
          }
          entry.cert_pin_sha256 = pin;
        }
        if (table->contains("ca_file")) {
          auto path = std::filesystem::path(required_string(*table, "ca_file", origin));
          if (path.is_relative()) path = folder / path;
          if (!std::ifstream(path)) {
            fail(origin, table->get("ca_file")->source(),
                 fmt::format("gateway '{}': cannot read CA file {}", entry.name, path.string()));
          }
          entry.ca_file = path.string();
        }
        const bool https = entry.url.starts_with("https://");
        for (const char* key : {"cert_pin_sha256", "ca_file"}) {
          if (!https && table->contains(key)) {
            fail(origin, table->get(key)->source(),
                 fmt::format("gateway '{}': {} is for https:// URLs", entry.name, key));
          }
        }
        if (!entry.cert_pin_sha256.empty() && !entry.ca_file.empty()) {
          fail(origin, table->get("ca_file")->source(),
               fmt::format("gateway '{}': give cert_pin_sha256 or ca_file, not both", entry.name));
        }
        site.gateways.push_back(std::move(entry));
      }
    } else if (key == "scada") {
      read_scada_table(node, site.scada, origin);
      scada_line = static_cast<int>(node.source().begin.line);
    } else if (key == "notify") {
      // Read below by the notifications part's parser, as in a gateway's site file.
    } else if (key == "cloud") {
      // Read below by the cloud part's parser, as in a gateway's site file.
    } else {
      fail(origin, node.source(), fmt::format("unknown table or key '{}'", key.str()));
    }
  }
  if (site.gateways.empty()) {
    throw SiteFileError(fmt::format("{}: no [[gateway]] listed", origin));
  }
  std::vector<std::string> names;
  for (const auto& g : site.gateways) names.push_back(g.name);
  auto notify = notify::parse_notify_config_string(text, origin, names);
  if (!notify.errors.empty()) {
    std::string all;
    for (const auto& e : notify.errors) all += (all.empty() ? "" : "\n") + model::format_error(e);
    throw SiteFileError(all);
  }
  site.notify = std::move(notify.settings);
  site.cloud.gateway_id = "site";
  std::string cloud_errors;
  for (const auto& p : cloud::read_cloud_table(text, site.site_name, site.cloud)) {
    cloud_errors += (cloud_errors.empty() ? "" : "\n") + cloud::describe(p, origin);
  }
  if (!cloud_errors.empty()) throw SiteFileError(cloud_errors);
  // Ports are checked once everything is read: [scada] may come before or after the gateways.
  // A clash is reported at the gateway's scada_port (or its table), else at [scada].
  const int site_port = site.scada.enabled ? site.scada.port : 0;
  if (const auto problem = scada_port_problem(site, site_port)) {
    const bool own_port = site.gateways[problem->gateway - 1].scada_port != 0;
    const int line = own_port ? scada_port_lines[problem->gateway - 1] : scada_line;
    throw SiteFileError(fmt::format("{}:{}: {}", origin, line, problem->reason));
  }
  return site;
}

SiteFile load_site_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw SiteFileError(fmt::format("{}: cannot read the file", path));
  std::stringstream content;
  content << in.rdbuf();
  return parse_site_file(content.str(), path);
}

}  // namespace btms::aggregator
