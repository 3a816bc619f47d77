#include "hmi/second_master_check.hpp"

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "devices/register_map.hpp"
#include "fieldbus/modbus_link.hpp"

namespace btms::hmi {

namespace {

constexpr std::int64_t kMinRtuListen_ms = 2500;
constexpr std::int64_t kMinHeartbeatSpacing_ms = 1500;

std::optional<std::uint16_t> read_heartbeat(fieldbus::ModbusLink& link, int mc_address) {
  std::array<std::uint16_t, 1> value{};
  if (!link.ensure_connected()) return std::nullopt;
  if (link.read_holding(mc_address, devices::bm_mc::kHeartbeat, value) !=
      fieldbus::LinkError::none) {
    return std::nullopt;
  }
  return value[0];
}

speed_t line_speed(int baud) {
  switch (baud) {
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
    default:
      return B19200;
  }
}

// Counts every byte that arrives on the line during listen_ms; the port is opened for reading
// only, so not even a stray byte can go out.
std::size_t listen_on_line(const model::Bus& bus, std::int64_t listen_ms, std::string* error) {
  const auto& device = bus.device;
  const int fd = ::open(device.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    *error = std::strerror(errno);
    return 0;
  }
  termios raw{};
  if (::tcgetattr(fd, &raw) == 0) {
    ::cfmakeraw(&raw);  // the bytes as they are on the line, nothing echoed or translated
    // At the bus's speed: at another one frames still arrive as (garbled) bytes, but right is
    // better for the count.
    ::cfsetspeed(&raw, line_speed(bus.baud));
    ::tcsetattr(fd, TCSANOW, &raw);
  }
  std::size_t heard = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(listen_ms);
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          end - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    if (p.revents & POLLIN) {
      std::array<char, 256> buffer{};
      const auto got = ::read(fd, buffer.data(), buffer.size());
      if (got > 0) heard += static_cast<std::size_t>(got);
    } else if (p.revents & (POLLHUP | POLLERR)) {
      // A pty whose other side is not open yet reports a hang-up: nothing can be heard on it.
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<std::int64_t>(left, 20)));
    }
  }
  ::close(fd);
  return heard;
}

}  // namespace

BusCheck judge_heartbeat(const std::string& bus_name, const HeartbeatObservation& seen) {
  if (!seen.first || !seen.second) {
    return {BusVerdict::free,
            fmt::format("bus '{}': the BM-MC heartbeat could not be read twice; no master seen",
                        bus_name)};
  }
  if (*seen.first != *seen.second) {
    return {BusVerdict::gateway_polls,
            fmt::format("bus '{}': a gateway already polls this bus (BM-MC heartbeat changed from "
                        "{} to {} in {} ms); the display would be a second master. Use --gateway "
                        "URL instead.",
                        bus_name, *seen.first, *seen.second, seen.spacing_ms)};
  }
  return {BusVerdict::free,
          fmt::format("bus '{}': BM-MC heartbeat unchanged ({}) for {} ms; no gateway polls it",
                      bus_name, *seen.first, seen.spacing_ms)};
}

BusCheck judge_rtu_listen(const std::string& bus_name, std::size_t bytes_heard,
                          std::int64_t listened_ms) {
  if (bytes_heard > 0) {
    return {BusVerdict::foreign_traffic,
            fmt::format("bus '{}': {} bytes of foreign traffic heard in {} ms before the display "
                        "sent anything: another master polls this line; the display would be a "
                        "second master. Use --gateway URL instead.",
                        bus_name, bytes_heard, listened_ms)};
  }
  return {BusVerdict::free,
          fmt::format("bus '{}': silent for {} ms; no other master", bus_name, listened_ms)};
}

std::int64_t heartbeat_spacing_ms(const model::Bus& bus) {
  return std::max<std::int64_t>(2 * static_cast<std::int64_t>(bus.cycle_ms),
                                kMinHeartbeatSpacing_ms);
}

std::int64_t rtu_listen_ms(const model::Bus& bus) {
  return std::max<std::int64_t>(2 * static_cast<std::int64_t>(bus.cycle_ms) + 500,
                                kMinRtuListen_ms);
}

BusCheck check_bus(const model::Site& site, const model::Bus& bus) {
  if (bus.kind == model::BusKind::rtu) {
    const auto listen_ms = rtu_listen_ms(bus);
    std::string error;
    const auto heard = listen_on_line(bus, listen_ms, &error);
    if (!error.empty()) {
      // Not a second master either: the display's acquisition will say the bus cannot be opened.
      return {BusVerdict::free,
              fmt::format("bus '{}': cannot listen on {}: {}", bus.name, bus.device, error)};
    }
    return judge_rtu_listen(bus.name, heard, listen_ms);
  }
  if (!site.mc.present || site.mc.bus != bus.name) {
    return {BusVerdict::free,
            fmt::format("bus '{}': Modbus TCP without the BM-MC: nothing to check", bus.name)};
  }
  fieldbus::ModbusLink link(bus);
  HeartbeatObservation seen;
  const auto spacing = std::chrono::milliseconds(heartbeat_spacing_ms(bus));
  const auto start = std::chrono::steady_clock::now();
  seen.first = read_heartbeat(link, site.mc.address);
  if (seen.first) {
    std::this_thread::sleep_for(spacing);
    seen.second = read_heartbeat(link, site.mc.address);
  }
  seen.spacing_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  link.close();
  return judge_heartbeat(bus.name, seen);
}

std::vector<BusCheck> check_site_buses(const model::Site& site) {
  std::vector<BusCheck> checks;
  for (const auto& bus : site.buses) {
    checks.push_back(check_bus(site, bus));
    if (checks.back().verdict != BusVerdict::free) break;
  }
  return checks;
}

}  // namespace btms::hmi
