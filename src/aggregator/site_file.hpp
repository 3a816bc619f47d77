// The aggregator's site file (TOML): the site's name and one [[gateway]] table per gateway of the
// data center, each with its URL, the file holding the aggregator's API token on that gateway
// (btms token add NAME --role operator on the gateway) and, for https, the pinned SHA-256 of the
// gateway's certificate or a CA file. A bad file is refused with file, line and reason.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace btms::aggregator {

struct GatewayEntry {
  std::string name;             // [a-z0-9_-], 1..32; the prefix of its channels and alarm keys
  std::string url;              // http://HOST:PORT or https://HOST:PORT
  std::string token;            // read from token_file (whitespace trimmed); empty = anonymous
  std::string token_file;       // as written (relative paths are relative to the site file)
  std::string cert_pin_sha256;  // 64 lower-case hex digits, or empty
  std::string ca_file;  // CA certificates (PEM) an https gateway's certificate must chain to
                        // (relative paths resolved against the site file's folder), or empty
};

struct SiteFile {
  std::string site_name = "Site";
  std::vector<GatewayEntry> gateways;
  const GatewayEntry* find(std::string_view name) const;
};

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
