// REST /api/v1/live throughput and WebSocket fan-out latency on loopback, on a full-size
// gateway (32 strings x 120 batteries). Prints each figure next to its target.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/plant_channels.hpp"
#include "test_client.hpp"
#include "web/web_server.hpp"

using namespace std::chrono;
using namespace btms;

namespace {

// Targets (our own; the anchors give none for the web side): a browser page polls a string's
// live values at 1 Hz, so 1000 req/s serves hundreds of clients; a WebSocket update should
// reach every client well within one 1 s acquisition cycle.
constexpr double kTargetRestPerSecond = 1000.0;
constexpr double kTargetFanoutP99_ms = 250.0;
constexpr int kWsClients = 50;
constexpr int kWsRounds = 20;

std::int64_t wall_ms() {
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct Plant {
  std::shared_ptr<model::Site> site = std::make_shared<model::Site>();
  model::PlantChannels channels;
  std::shared_ptr<model::SnapshotPublisher> publisher =
      std::make_shared<model::SnapshotPublisher>();
  std::uint64_t sequence = 0;

  Plant() {
    site->name = "bench";
    site->battery_types.push_back(model::BatteryType{"T", 12.0, 6, 100.0, {}, 2.27, 0.0});
    site->upses.push_back(model::Ups{1, "UPS", 400.0});
    for (int s = 1; s <= model::kMaxStringsPerGateway; ++s) {
      model::String str;
      str.id = s;
      str.ups_id = 1;
      str.battery_type = "T";
      str.batteries = model::kMaxBatteriesPerString;
      site->strings.push_back(str);
    }
    channels = model::build_plant_channels(*site);
  }
  void publish(double base) {
    auto snap = std::make_shared<model::Snapshot>();
    snap->channels = channels.directory;
    snap->samples.resize(channels.directory->size());
    const auto now = wall_ms();
    for (std::size_t i = 0; i < snap->samples.size(); ++i) {
      snap->samples[i] =
          model::Sample{base + static_cast<double>(i % 7) * 0.01, now, model::Quality::ok};
    }
    snap->sequence = ++sequence;
    snap->time_ms = now;
    publisher->publish(snap);
  }
};

// One keep-alive GET; returns false when the reply is not a complete 200.
bool keep_alive_get(int fd, const std::string& request, std::string& buf) {
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return false;
  }
  buf.clear();
  char chunk[65536];
  std::size_t need = std::string::npos;
  for (;;) {
    const auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buf.append(chunk, static_cast<std::size_t>(n));
    if (need == std::string::npos) {
      const auto head = buf.find("\r\n\r\n");
      if (head == std::string::npos) continue;
      const auto cl = buf.find("Content-Length: ");
      if (cl == std::string::npos || cl > head) return false;
      need = head + 4 + std::stoul(buf.substr(cl + 16));
    }
    if (buf.size() >= need) return buf.starts_with("HTTP/1.1 200");
  }
}

double rest_requests_per_second(int port, const std::string& target, int threads, double seconds) {
  std::atomic<long> done{0};
  std::atomic<bool> failed{false};
  const auto until = steady_clock::now() + duration<double>(seconds);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      const int fd = web::test::connect_loopback(port);
      const std::string req = "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n";
      std::string buf;
      while (steady_clock::now() < until) {
        if (!keep_alive_get(fd, req, buf)) {
          failed = true;
          break;
        }
        ++done;
      }
      ::close(fd);
    });
  }
  const auto start = steady_clock::now();
  for (auto& w : workers) w.join();
  const double elapsed = duration<double>(steady_clock::now() - start).count();
  if (failed) std::printf("  (some requests failed)\n");
  return static_cast<double>(done.load()) / elapsed;
}

}  // namespace

int main() {
  Plant plant;
  plant.publish(13.0);
  web::WebOptions options;
  options.port = 0;
  web::WebServer server(options, plant.publisher, nullptr, plant.site);
  server.start();
  const int port = server.port();
  std::printf("channels: %zu\n", plant.channels.directory->size());

  const double one_string = rest_requests_per_second(port, "/api/v1/live?prefix=string/1/", 2, 2.0);
  std::printf("REST live, one string (4 ch), 2 keep-alive clients: %.0f req/s (target >= %.0f)\n",
              one_string, kTargetRestPerSecond);
  const double one_battery_row =
      rest_requests_per_second(port, "/api/v1/live?prefix=battery/1/", 2, 2.0);
  std::printf("REST live, 120 batteries (480 ch), 2 clients:       %.0f req/s (target >= %.0f)\n",
              one_battery_row, kTargetRestPerSecond);
  const double everything = rest_requests_per_second(port, "/api/v1/live", 1, 2.0);
  std::printf(
      "REST live, whole gateway (%zu ch), 1 client:       %.1f req/s (no target; "
      "clients should filter)\n",
      plant.channels.directory->size(), everything);

  // WebSocket fan-out: 50 clients subscribed to every string channel; each round publishes a
  // new snapshot and measures publish -> receipt for each client.
  std::vector<std::unique_ptr<web::test::WsClient>> clients;
  for (int c = 0; c < kWsClients; ++c) {
    auto ws = std::make_unique<web::test::WsClient>();
    if (ws->connect(port, "/api/v1/stream") != 101) {
      std::printf("WebSocket connect failed\n");
      return 1;
    }
    ws->send_text(R"({"subscribe": ["string/"]})");
    if (!ws->read_text(5s)) {
      std::printf("no initial message\n");
      return 1;
    }
    clients.push_back(std::move(ws));
  }
  std::vector<double> latencies_ms;
  std::mutex mutex;
  for (int round = 1; round <= kWsRounds; ++round) {
    const auto published = steady_clock::now();
    plant.publish(13.0 + round);
    const auto wanted = plant.sequence;
    std::vector<std::thread> readers;
    for (auto& ws : clients) {
      readers.emplace_back([&, client = ws.get()] {
        while (auto text = client->read_text(3s)) {
          const auto j = nlohmann::json::parse(*text);
          if (j.value("sequence", 0u) >= wanted) {
            const double ms = duration<double, std::milli>(steady_clock::now() - published).count();
            std::lock_guard lock(mutex);
            latencies_ms.push_back(ms);
            return;
          }
        }
      });
    }
    for (auto& r : readers) r.join();
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto pct = [&](double p) {
    return latencies_ms.empty()
               ? -1.0
               : latencies_ms[static_cast<std::size_t>(p * (latencies_ms.size() - 1))];
  };
  std::printf(
      "WS fan-out, %d clients x 128 ch, poll 100 ms: received %zu/%d, p50 %.1f ms, "
      "p99 %.1f ms (target p99 <= %.0f ms)\n",
      kWsClients, latencies_ms.size(), kWsClients * kWsRounds, pct(0.5), pct(0.99),
      kTargetFanoutP99_ms);
  server.stop();
  return 0;
}
