// Which client addresses may write to the SCADA server: IPv4 addresses and CIDR ranges
// ("10.0.0.5", "10.0.1.0/24"). Plain Modbus TCP has no authentication, so the peer address is
// the only thing the server can check; an empty list allows nobody.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace btms::scada {

class AddressAllowList {
 public:
  AddressAllowList() = default;
  // Throws std::invalid_argument naming the first entry that is not an IPv4 address or an
  // IPv4 CIDR range with a prefix of 0..32.
  explicit AddressAllowList(const std::vector<std::string>& entries);

  // address in host byte order.
  bool allows(std::uint32_t address) const;
  // Dotted-quad text; false for anything that is not an IPv4 address.
  bool allows(const std::string& address) const;
  bool empty() const { return ranges_.empty(); }

 private:
  struct Range {
    std::uint32_t network = 0;  // host byte order, host bits cleared
    std::uint32_t mask = 0;
  };
  std::vector<Range> ranges_;
};

// Host-byte-order address of dotted-quad text; false when it is not one.
bool parse_ipv4(const std::string& text, std::uint32_t& address);
std::string ipv4_text(std::uint32_t address);

}  // namespace btms::scada
