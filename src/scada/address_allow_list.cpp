#include "scada/address_allow_list.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <stdexcept>

namespace btms::scada {

bool parse_ipv4(const std::string& text, std::uint32_t& address) {
  in_addr parsed{};
  // inet_pton takes exactly four decimal parts, unlike inet_aton ("10.1" would be 10.0.0.1).
  if (::inet_pton(AF_INET, text.c_str(), &parsed) != 1) return false;
  address = ntohl(parsed.s_addr);
  return true;
}

std::string ipv4_text(std::uint32_t address) {
  in_addr raw{};
  raw.s_addr = htonl(address);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &raw, text, sizeof text);
  return text;
}

AddressAllowList::AddressAllowList(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    const auto slash = entry.find('/');
    std::uint32_t address = 0;
    if (!parse_ipv4(entry.substr(0, slash), address)) {
      throw std::invalid_argument("SCADA write allow-list: not an IPv4 address or range: '" +
                                  entry + "'");
    }
    int prefix = 32;
    if (slash != std::string::npos) {
      const char* first = entry.data() + slash + 1;
      const char* last = entry.data() + entry.size();
      const auto [end, error] = std::from_chars(first, last, prefix);
      if (first == last || error != std::errc() || end != last || prefix < 0 || prefix > 32) {
        throw std::invalid_argument("SCADA write allow-list: bad prefix length in '" + entry +
                                    "' (0..32)");
      }
    }
    // A shift by 32 is undefined; prefix 0 is "every address".
    const std::uint32_t mask = prefix == 0 ? 0u : ~std::uint32_t{0} << (32 - prefix);
    ranges_.push_back(Range{address & mask, mask});
  }
}

bool AddressAllowList::allows(std::uint32_t address) const {
  for (const auto& range : ranges_) {
    if ((address & range.mask) == range.network) return true;
  }
  return false;
}

bool AddressAllowList::allows(const std::string& address) const {
  std::uint32_t parsed = 0;
  return parse_ipv4(address, parsed) && allows(parsed);
}

}  // namespace btms::scada
