#include "app/plant_clock_follow.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>

#include "plant/virtual_plant.hpp"

namespace btms::app {

namespace {

std::string http_get(const std::string& host, const std::string& port, const std::string& path) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    throw std::runtime_error("cannot resolve " + host);
  }
  const int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, 0);
  const bool connected = fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0;
  ::freeaddrinfo(found);
  if (!connected) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no plant answers at " + host + ":" + port);
  }
  const std::string request =
      "GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 2000) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos) {
    throw std::runtime_error("the plant's clock endpoint did not answer 200");
  }
  return response.substr(body + 4);
}

}  // namespace

std::shared_ptr<const model::Clock> follow_plant_clock(const std::string& url) {
  static const std::regex kUrl(R"(^http://([^:/]+):([0-9]+)(/.*)?$)");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    throw std::runtime_error("--plant-clock: expected http://HOST:PORT/clock, not '" + url + "'");
  }
  const std::string path = m[3].matched ? m[3].str() : "/clock";
  const auto sent = std::chrono::steady_clock::now();
  const auto json = nlohmann::json::parse(http_get(m[1].str(), m[2].str(), path), nullptr, false);
  const auto received = std::chrono::steady_clock::now();
  if (json.is_discarded() || !json.contains("now_unix_ms") || !json.contains("speed")) {
    throw std::runtime_error("--plant-clock: the answer has no now_unix_ms and speed");
  }
  const double speed = json["speed"].get<double>();
  if (!(speed > 0.0 && speed <= plant::kMaxSpeed)) {
    throw std::runtime_error("--plant-clock: the plant announces speed " + std::to_string(speed));
  }
  // The plant read its clock somewhere within the round trip: take the middle.
  return std::make_shared<const model::ScaledClock>(json["now_unix_ms"].get<std::int64_t>(), speed,
                                                    sent + (received - sent) / 2);
}

std::string check_speed(const std::string& text) {
  double speed = 0.0;
  try {
    std::size_t used = 0;
    speed = std::stod(text, &used);
    if (used != text.size()) return "'" + text + "' is not a number";
  } catch (const std::exception&) {
    return "'" + text + "' is not a number";
  }
  if (speed < plant::kMinSpeed || speed > plant::kMaxSpeed) {
    return text +
           " is outside 0.1..36000 (36000 = 10 simulated hours per real "
           "second; beyond it a 1 s poll cycle is shorter than any bus can serve)";
  }
  return "";
}

}  // namespace btms::app
