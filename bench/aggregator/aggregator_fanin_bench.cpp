// The aggregator over 16 full-size gateways (32 strings x 120 batteries each). Sixteen real
// gateways with their virtual plants do not fit on this 2-core machine next to the aggregator,
// so each gateway is a stand-in in this process that speaks the gateway's real protocol: REST
// /api/v1/topology and /api/v1/alarms, and the WebSocket /api/v1/stream with "values" messages
// as a full gateway sends them (33 a second, one string's channels each, every value stamped
// with the time it was sent). The aggregator runs as its own process (`btms aggregator`); a
// client of its stream subscribed to everything measures, per value, the delay from the
// stand-in's send to the aggregator's stream. Figures: aggregator CPU (share of one core) and
// RSS from /proc, delay p50/p99. Targets: p99 < 1000 ms, CPU < 25 % of one core.
#include <unistd.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/clock.hpp"
#include "process.hpp"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int kGateways = 16;
constexpr int kStrings = 32;
constexpr int kBatteries = 120;
constexpr int kUpses = 8;
constexpr auto kPublishInterval = 30ms;  // a full gateway publishes once per bus cycle
constexpr auto kWarmup = 4s;
constexpr int kDefaultMeasure_s = 20;  // --seconds N
constexpr double kDelayP99Limit_ms = 1000.0;
constexpr double kCpuLimit_pct = 25.0;
// Not in the issue: the aggregator holds summaries only (16 x 32 strings x 27 channels), so a
// few tens of MiB; 256 MiB catches a leak or detail copied that should stay at the gateways.
constexpr double kRssLimit_MiB = 256.0;

// Stand-ins and the measuring client stamp and read values on the one system clock.
std::int64_t now_ms() {
  return btms::model::system_clock()->now_ms();
}

std::string topology_json() {
  json upses = json::array();
  for (int u = 1; u <= kUpses; ++u) {
    json ids = json::array();
    for (int s = 1; s <= kStrings; ++s) {
      if ((s - 1) % kUpses + 1 == u) ids.push_back(s);
    }
    upses.push_back(json{{"id", u}, {"name", fmt::format("UPS {}", u)}, {"strings", ids}});
  }
  json strings = json::array();
  for (int s = 1; s <= kStrings; ++s) {
    strings.push_back(json{{"id", s},
                           {"ups_id", (s - 1) % kUpses + 1},
                           {"name", fmt::format("String {}", s)},
                           {"batteries", kBatteries}});
  }
  return json{{"site", {{"name", "stand-in"}}}, {"upses", upses}, {"strings", strings}}.dump();
}

// One string's channels (every string/S/ quantity a gateway has: plant and derived) and its
// UPS's channels as the gateway streams them after a bus cycle. A real gateway sends only what
// changed; here every value changes every time (the worst case for the aggregator).
std::string values_message(int string_id, std::int64_t t, double jitter) {
  json channels = json::object();
  const char* string_names[] = {"voltage",
                                "current",
                                "insulation_pos",
                                "insulation_neg",
                                "soc",
                                "state",
                                "status",
                                "alarm_bits",
                                "balance",
                                "spread",
                                "stddev",
                                "protection",
                                "relay_closed",
                                "runtime",
                                "lowest_voltage",
                                "lowest_voltage_battery",
                                "highest_voltage",
                                "highest_voltage_battery",
                                "highest_temperature",
                                "highest_temperature_battery"};
  int k = 0;
  for (const auto* n : string_names) {
    channels[fmt::format("string/{}/{}", string_id, n)] =
        json{{"value", 100.0 + k++ + jitter}, {"quality", "ok"}, {"time_ms", t}};
  }
  const int ups = (string_id - 1) % kUpses + 1;
  const char* ups_names[] = {"status",  "voltage",    "current",   "soc",
                             "runtime", "alarm_bits", "on_battery"};
  for (const auto* n : ups_names) {
    channels[fmt::format("ups/{}/{}", ups, n)] =
        json{{"value", 90.0 + k++ + jitter}, {"quality", "ok"}, {"time_ms", t}};
  }
  return json{{"type", "values"}, {"time_ms", t}, {"channels", channels}}.dump();
}

net::awaitable<void> serve_stream(websocket::stream<beast::tcp_stream> ws,
                                  http::request<http::string_body> req, int gateway) {
  co_await ws.async_accept(req, net::use_awaitable);
  beast::flat_buffer buffer;
  co_await ws.async_read(buffer, net::use_awaitable);  // the subscription
  // Keep reading (pings are answered while a read is pending) on the side.
  bool closed = false;
  net::co_spawn(
      co_await net::this_coro::executor,
      [&ws, &closed]() -> net::awaitable<void> {
        beast::flat_buffer b;
        try {
          while (true) {
            b.clear();
            co_await ws.async_read(b, net::use_awaitable);
          }
        } catch (const std::exception&) {
        }
        closed = true;
      },
      net::detached);
  net::steady_timer timer(co_await net::this_coro::executor);
  int string_id = gateway % kStrings;
  auto next = std::chrono::steady_clock::now();
  try {
    while (!closed) {
      string_id = string_id % kStrings + 1;
      const auto message = values_message(string_id, now_ms(), (now_ms() % 1000) / 1000.0);
      co_await ws.async_write(net::buffer(message), net::use_awaitable);
      next += kPublishInterval;
      timer.expires_at(next);
      co_await timer.async_wait(net::use_awaitable);
    }
  } catch (const std::exception&) {
  }
  beast::error_code ignored;
  beast::get_lowest_layer(ws).socket().shutdown(tcp::socket::shutdown_both, ignored);
  while (!closed) {
    timer.expires_after(10ms);
    co_await timer.async_wait(net::redirect_error(net::use_awaitable, ignored));
  }
}

net::awaitable<void> serve_connection(tcp::socket socket, int gateway,
                                      const std::string& topology) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  try {
    while (true) {
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req, net::use_awaitable);
      if (websocket::is_upgrade(req)) {
        co_await serve_stream(websocket::stream<beast::tcp_stream>(std::move(stream)),
                              std::move(req), gateway);
        co_return;
      }
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      const auto target = std::string(req.target());
      if (target == "/api/v1/topology") {
        res.body() = topology;
      } else if (target == "/api/v1/alarms") {
        res.body() = R"({"time_ms":0,"count":0,"unacknowledged":0,"alarms":[]})";
      } else {
        res.result(http::status::not_found);
        res.body() = R"({"error":"not in the stand-in"})";
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(stream, res, net::use_awaitable);
      if (!res.keep_alive()) break;
    }
  } catch (const std::exception&) {
  }
}

net::awaitable<void> accept_loop(tcp::acceptor& acceptor, int gateway,
                                 const std::string& topology) {
  while (true) {
    auto socket = co_await acceptor.async_accept(net::use_awaitable);
    net::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), gateway, topology),
                  net::detached);
  }
}

struct ProcStat {
  long ticks = -1;
  long rss_kB = 0;
};

ProcStat proc_stat(int pid) {
  ProcStat s;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int k = 3; fields >> field; ++k) {
    if (k == 14) utime = std::stol(field);
    if (k == 15) stime = std::stol(field);
  }
  s.ticks = utime + stime;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) s.rss_kB = std::stol(line.substr(6));
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  int measure_s = kDefaultMeasure_s;
  for (int k = 1; k + 1 < argc; ++k) {
    if (std::string(argv[k]) == "--seconds") measure_s = std::max(1, std::atoi(argv[k + 1]));
  }
  const auto measure = std::chrono::seconds(measure_s);
  net::io_context io;
  const auto topology = topology_json();
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  char folder_template[] = "/tmp/btms-agg-bench-XXXXXX";
  if (mkdtemp(folder_template) == nullptr) return 2;
  const std::string folder = folder_template;
  std::ofstream site(folder + "/site.toml");
  site << "[site]\nname = \"bench\"\n\n";
  for (int g = 1; g <= kGateways; ++g) {
    auto& a = *acceptors.emplace_back(
        std::make_unique<tcp::acceptor>(io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)));
    net::co_spawn(io, accept_loop(a, g, topology), net::detached);
    site << "[[gateway]]\nname = \"gw" << g
         << "\"\nurl = \"http://127.0.0.1:" << a.local_endpoint().port() << "\"\n\n";
  }
  site.close();
  std::thread standins([&io] { io.run(); });

  int result = 0;
  {
    btms::e2e::ChildProcess aggregator({BTMS_BINARY, "aggregator", "--config",
                                        folder + "/site.toml", "--port", "0", "--anonymous-read"});
    const int port = btms::e2e::wait_for_port(aggregator, R"(http://127\.0\.0\.1:(\d+)/)");
    if (port <= 0) {
      std::fprintf(stderr, "aggregator did not start\n");
      io.stop();
      standins.join();
      return 2;
    }
    // The measuring client: everything the site streams, delay per value.
    std::vector<double> delays_ms;
    std::mutex delays_mutex;
    std::atomic<bool> measuring{false};
    std::atomic<long> values{0};
    net::io_context client_io;
    net::co_spawn(
        client_io,
        [&]() -> net::awaitable<void> {
          websocket::stream<beast::tcp_stream> ws(co_await net::this_coro::executor);
          co_await beast::get_lowest_layer(ws).async_connect(
              tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
              net::use_awaitable);
          co_await ws.async_handshake("127.0.0.1", "/api/v1/stream", net::use_awaitable);
          co_await ws.async_write(net::buffer(std::string(R"({"subscribe":[""]})")),
                                  net::use_awaitable);
          beast::flat_buffer buffer;
          while (true) {
            buffer.clear();
            co_await ws.async_read(buffer, net::use_awaitable);
            const auto received = now_ms();
            const auto m = json::parse(beast::buffers_to_string(buffer.data()), nullptr, false);
            if (!m.is_object() || m.value("type", "") != "values" || !measuring) continue;
            std::lock_guard lock(delays_mutex);
            for (const auto& [name, reading] : m["channels"].items()) {
              delays_ms.push_back(
                  static_cast<double>(received - reading.value("time_ms", received)));
              ++values;
            }
          }
        },
        net::detached);
    std::thread client([&client_io] { client_io.run(); });

    std::this_thread::sleep_for(kWarmup);
    const auto before = proc_stat(aggregator.pid());
    const auto t0 = std::chrono::steady_clock::now();
    measuring = true;
    std::this_thread::sleep_for(measure);
    measuring = false;
    const auto after = proc_stat(aggregator.pid());
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double cpu_pct =
        100.0 * static_cast<double>(after.ticks - before.ticks) / sysconf(_SC_CLK_TCK) / wall_s;
    client_io.stop();
    client.join();

    std::vector<double> d;
    {
      std::lock_guard lock(delays_mutex);
      d = delays_ms;
    }
    std::sort(d.begin(), d.end());
    const auto pct = [&](double p) {
      return d.empty() ? 1e9 : d[std::min(d.size() - 1, static_cast<std::size_t>(p * d.size()))];
    };
    const double p50 = pct(0.50), p99 = pct(0.99);
    std::printf("aggregator over %d stand-in gateways (%d strings x %d batteries each), %.0f s\n",
                kGateways, kStrings, kBatteries, wall_s);
    std::printf("  values received at the site stream: %ld (%.0f/s)\n", values.load(),
                static_cast<double>(values.load()) / wall_s);
    std::printf(
        "  delay gateway value -> aggregator stream: p50 %.1f ms, p99 %.1f ms (limit %.0f ms)\n",
        p50, p99, kDelayP99Limit_ms);
    std::printf("  aggregator CPU: %.1f %% of one core (limit %.0f %%)\n", cpu_pct, kCpuLimit_pct);
    const double rss_MiB = static_cast<double>(after.rss_kB) / 1024.0;
    std::printf("  aggregator RSS: %.1f MiB (limit %.0f MiB)\n", rss_MiB, kRssLimit_MiB);
    if (d.empty()) {
      std::printf("FAIL: no values reached the aggregator's stream\n");
      result = 1;
    }
    if (p99 >= kDelayP99Limit_ms) {
      std::printf("FAIL: delay p99 over the limit\n");
      result = 1;
    }
    if (rss_MiB >= kRssLimit_MiB) {
      std::printf("FAIL: aggregator RSS over the limit\n");
      result = 1;
    }
    if (cpu_pct >= kCpuLimit_pct) {
      std::printf("FAIL: aggregator CPU over the limit\n");
      result = 1;
    }
  }
  io.stop();
  standins.join();
  std::filesystem::remove_all(folder);
  return result;
}
