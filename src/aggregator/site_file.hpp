// The aggregator's site file (TOML): the site's name and one [[gateway]] table per gateway of the
// data center, each with its URL, the file holding the aggregator's API token on that gateway
// (btms token add NAME --role operator on the gateway) and, for https, the pinned SHA-256 of the
// gateway's certificate or a CA file, and where the gateway's own Modbus TCP server is; the
// optional [scada] table turns on the site SCADA endpoint (site_scada_server.hpp) and [notify] the
// site's alarm notifications, read by the gateway's own parser (notify/notify_config.hpp), and
// [cloud] the site's cloud link, read by the cloud part's parser. A bad file is refused with
// file, line and reason.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cloud/cloud_config.hpp"
#include "notify/notify_settings.hpp"

namespace btms::aggregator {

inline constexpr int kDefaultGatewayModbusPort = 1502;

struct GatewayEntry {
  std::string name;             // [a-z0-9_-], 1..32; the prefix of its channels and alarm keys
  std::string url;              // http://HOST:PORT or https://HOST:PORT
  std::string token;            // read from token_file (whitespace trimmed); empty = anonymous
  std::string token_file;       // as written (relative paths are relative to the site file)
  std::string cert_pin_sha256;  // 64 lower-case hex digits, or empty
  std::string ca_file;  // CA certificates (PEM) an https gateway's certificate must chain to
                        // (relative paths resolved against the site file's folder), or empty
  // The gateway's own Modbus TCP server, which the site SCADA endpoint forwards reads to
  // (`modbus = "HOST:PORT"`; default the URL's host and port 1502).
  std::string modbus_host;
  int modbus_port = kDefaultGatewayModbusPort;
  int scada_port = 0;  // the aggregator's port for this gateway's reads (0 = site port + k)
};

// The site SCADA endpoint ([scada]): the site summary on `port`, gateway k (1-based, site-file
// order) on port + k unless its entry sets scada_port.
struct SiteScadaSettings {
  bool enabled = false;  // a [scada] table (or --scada-port) turns it on
  std::string bind = "127.0.0.1";
  int port = 1502;  // 0 = free ports for the site and every gateway without scada_port
};

struct SiteFile {
  std::string site_name = "Site";
  std::vector<GatewayEntry> gateways;
  SiteScadaSettings scada;
  notify::NotifySettings
      notify;  // [notify] as a gateway's site file has it; enabled = false without
  // [cloud] as a gateway's site file has it (cloud/cloud_config.hpp), the topic prefix's
  // gateway level "site" unless gateway_id says otherwise; enabled = false without.
  cloud::CloudConfig cloud;
  const GatewayEntry* find(std::string_view name) const;
};

// The aggregator's listening port for gateway k (1-based): its scada_port, else site_port + k,
// or 0 (a free port) when site_port is 0.
int gateway_scada_port(const SiteFile& site, int site_port, std::size_t k);
// Checks that the site port and every gateway's port are in range and distinct (free ports
// aside); nullopt when they are.
struct ScadaPortProblem {
  std::size_t gateway = 0;  // k of the first gateway whose port is out of range or taken
  std::string reason;
};
std::optional<ScadaPortProblem> scada_port_problem(const SiteFile& site, int site_port);

class SiteFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses the text of a site file; `origin` names it in errors and is the folder token files are
// relative to ("" = the working directory). Throws SiteFileError "origin:line: reason".
SiteFile parse_site_file(std::string_view text, const std::string& origin);
// Reads and parses the file at `path`.
SiteFile load_site_file(const std::string& path);

// True for a name usable as a gateway prefix ([a-z0-9_-], 1..32 characters).
bool is_valid_gateway_name(std::string_view name);

}  // namespace btms::aggregator
