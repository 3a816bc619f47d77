#include "aggregator/site_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "gateway_api/gateway_http.hpp"

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

}  // namespace

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
              k != "ca_file") {
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
        if (!gateway_api::parse_gateway_url(entry.url, &url_error)) {
          fail(origin, table->get("url")->source(),
               fmt::format("gateway '{}': {}", entry.name, url_error));
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
    } else {
      fail(origin, node.source(), fmt::format("unknown table or key '{}'", key.str()));
    }
  }
  if (site.gateways.empty()) {
    throw SiteFileError(fmt::format("{}: no [[gateway]] listed", origin));
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
