#include "plant/truth_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "model/topology.hpp"
#include "plant/virtual_plant.hpp"

namespace btms::plant {

namespace {

// Numbers with enough digits for Ah and SOC, no locale.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

std::string plant_clock_json(const VirtualPlant& plant) {
  const auto clock = plant.clock();
  std::ostringstream out;
  out << "{\"now_unix_ms\":" << clock->now_ms() << ",\"speed\":" << num(plant.speed())
      << ",\"start_unix_ms\":" << plant.start_unix_ms() << "}";
  return out.str();
}

std::string plant_truth_json(VirtualPlant& plant) {
  const model::Site site = plant.site_for_gateway();
  const std::string clock = plant_clock_json(plant);
  std::ostringstream out;
  plant.with_model([&](PlantModel& m) {
    out << "{\"clock\":" << clock << ",\"plant_time_s\":" << num(m.time_s()) << ",\"upses\":[";
    bool first = true;
    for (const auto& u : site.upses) {
      const UpsState& st = m.ups(u.id);
      out << (first ? "" : ",") << "{\"id\":" << u.id
          << ",\"mains_on\":" << (st.mains_on ? "true" : "false")
          << ",\"load_kW\":" << num(st.load_kW) << ",\"load_current_A\":" << num(st.load_current_A)
          << "}";
      first = false;
    }
    out << "],\"strings\":[";
    first = true;
    for (const auto& s : site.strings) {
      const StringState& st = m.string(s.id);
      double soc_sum = 0.0;
      std::ostringstream batteries;
      for (int p = 1; p <= s.batteries; ++p) {
        const BatteryState& b = m.battery(s.id, p);
        soc_sum += b.soc;
        batteries << (p == 1 ? "" : ",") << "{\"position\":" << p
                  << ",\"soc_pct\":" << num(100.0 * b.soc) << ",\"voltage_V\":" << num(b.voltage_V)
                  << ",\"temperature_C\":" << num(b.temperature_C)
                  << ",\"resistance_mOhm\":" << num(b.resistance_mOhm)
                  << ",\"capacity_Ah\":" << num(b.capacity_Ah)
                  << ",\"open_circuit\":" << (b.open_circuit ? "true" : "false") << "}";
      }
      out << (first ? "" : ",") << "{\"id\":" << s.id << ",\"current_A\":" << num(st.current_A)
          << ",\"voltage_V\":" << num(st.voltage_V)
          << ",\"contactor_closed\":" << (st.contactor_closed ? "true" : "false")
          << ",\"discharged_Ah\":" << num(st.discharged_Ah)
          << ",\"charged_Ah\":" << num(st.charged_Ah)
          << ",\"soc_pct\":" << num(s.batteries > 0 ? 100.0 * soc_sum / s.batteries : 0.0)
          << ",\"batteries\":[" << batteries.str() << "]}";
      first = false;
    }
    out << "]}";
  });
  return out.str();
}

TruthServer::TruthServer(VirtualPlant& plant, const std::string& bind_host, int port)
    : plant_(plant) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0)
    throw std::runtime_error("truth endpoint: socket: " + std::string(strerror(errno)));
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, bind_host.c_str(), &addr.sin_addr) != 1) {
    ::close(listen_fd_);
    throw std::runtime_error("truth endpoint: not an IPv4 address: " + bind_host);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 8) != 0) {
    const std::string reason = strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("truth endpoint: port " + std::to_string(port) + ": " + reason);
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
}

TruthServer::~TruthServer() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void TruthServer::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void TruthServer::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void TruthServer::run() {
  while (!stopping_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;  // wakes up to see stop()
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    serve(client);
    ::close(client);
  }
}

void TruthServer::serve(int client) {
  // One short request per connection (HTTP/1.0 style): read the request line, answer, close.
  std::string request;
  char buf[1024];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < 8192) {
    pollfd p{client, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) return;
    const ssize_t n = ::recv(client, buf, sizeof buf, 0);
    if (n <= 0) return;
    request.append(buf, static_cast<std::size_t>(n));
  }
  std::string status = "200 OK";
  std::string body;
  if (request.rfind("GET /clock ", 0) == 0) {
    body = plant_clock_json(plant_);
  } else if (request.rfind("GET /truth ", 0) == 0 || request.rfind("GET / ", 0) == 0) {
    body = plant_truth_json(plant_);
  } else {
    status = "404 Not Found";
    body = "{\"error\":\"GET /truth or GET /clock\"}";
  }
  const std::string response =
      "HTTP/1.1 " + status +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: close\r\n\r\n" + body;
  std::size_t sent = 0;
  while (sent < response.size()) {
    const ssize_t n = ::send(client, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace btms::plant
