// WebSocket stream load generator, run as its own process by bench_web so that the clients'
// threads, receive buffers and parsing do not count as the gateway's CPU (on a site the browsers
// run on their own machines).
//
//   bench_web_stream_client PORT CLIENTS DURATION_MS PREFIX[,PREFIX...] [COOKIE]
//
// COOKIE ("name=value" of a session) logs the clients in, for a gateway that requires it.
// Opens CLIENTS connections to ws://127.0.0.1:PORT/api/v1/stream, subscribes each to PREFIX,
// prints "ready" once every one has its first (full) values message, then reads for DURATION_MS.
// For every values message it records the latency from the snapshot's time_ms (wall clock, ms,
// set when the measurement was published) to the moment the whole message was received, and
// the message's size. Prints one line:
//   messages=N bytes=N seconds=S p50_ms=X p95_ms=X p99_ms=X max_ms=X failed_clients=N
// and exits 0, or 1 when it could not run at all. Loopback only; bounded in time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "test_client.hpp"

using namespace std::chrono;

namespace {

struct ClientResult {
  bool ready = false;
  bool failed = false;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::vector<double> latency_ms;  // one per values message received in the window
};

double wall_now_ms() {
  return static_cast<double>(
             duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()) /
         1000.0;
}

// The message-level "time_ms" of a values message. nlohmann::json writes object keys sorted,
// so the top-level time_ms comes after "channels" and is the LAST occurrence: found without
// parsing the whole (large) message, which keeps the client's CPU low.
bool message_time_ms(const std::string& text, double& time_ms) {
  if (text.find("\"type\":\"values\"") == std::string::npos) return false;
  const std::string key = "\"time_ms\":";
  const auto at = text.rfind(key);
  if (at == std::string::npos) return false;
  time_ms = std::strtod(text.c_str() + at + key.size(), nullptr);
  return time_ms > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: %s PORT CLIENTS DURATION_MS PREFIX[,PREFIX...] [COOKIE]\n",
                 argv[0]);
    return 1;
  }
  const int port = std::atoi(argv[1]);
  const int clients = std::atoi(argv[2]);
  const auto run_for = milliseconds(std::atoi(argv[3]));
  // "battery/1/,string/1/" -> "battery/1/","string/1/" (the JSON array's items).
  std::string prefix = argv[4];
  if (port <= 0 || clients <= 0 || clients > 256 || run_for.count() <= 0 || run_for > minutes(5) ||
      prefix.empty() || prefix.find('"') != std::string::npos) {
    std::fprintf(stderr, "bad arguments\n");
    return 1;
  }
  const std::string cookie = argc > 5 ? argv[5] : "";
  for (std::size_t at = prefix.find(','); at != std::string::npos; at = prefix.find(',', at + 3))
    prefix.replace(at, 1, R"(",")");

  std::vector<ClientResult> results(static_cast<std::size_t>(clients));
  std::atomic<int> ready_or_failed{0};
  std::atomic<bool> go{false};
  std::atomic<std::int64_t> end_ns{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto& r = results[static_cast<std::size_t>(c)];
      btms::web::test::WsClient ws;
      r.ready = ws.connect(port, "/api/v1/stream",
                           cookie.empty() ? "" : "Cookie: " + cookie + "\r\n") == 101 &&
                ws.send_text(R"({"subscribe": [")" + prefix + R"("]})") &&
                ws.read_text(10s).has_value();
      ++ready_or_failed;
      while (!go) std::this_thread::sleep_for(1ms);
      if (!r.ready) {
        r.failed = true;
        return;
      }
      r.latency_ms.reserve(1024);
      const auto end = steady_clock::time_point(nanoseconds(end_ns.load()));
      for (;;) {
        const auto left = duration_cast<milliseconds>(end - steady_clock::now());
        if (left.count() <= 0) break;
        const auto text = ws.read_text(left);
        if (!text) break;
        const double received_ms = wall_now_ms();
        double time_ms = 0.0;
        if (!message_time_ms(*text, time_ms)) continue;
        ++r.messages;
        r.bytes += text->size();
        r.latency_ms.push_back(received_ms - time_ms);
      }
      ws.close();
    });
  }
  while (ready_or_failed < clients) std::this_thread::sleep_for(1ms);
  std::printf("ready\n");
  std::fflush(stdout);
  const auto start = steady_clock::now();
  end_ns = duration_cast<nanoseconds>((start + run_for).time_since_epoch()).count();
  go = true;
  for (auto& t : threads) t.join();
  const double seconds = duration<double>(steady_clock::now() - start).count();

  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  int failed = 0;
  std::vector<double> latency_ms;
  for (auto& r : results) {
    messages += r.messages;
    bytes += r.bytes;
    if (r.failed) ++failed;
    latency_ms.insert(latency_ms.end(), r.latency_ms.begin(), r.latency_ms.end());
  }
  std::sort(latency_ms.begin(), latency_ms.end());
  const auto at = [&](double q) {
    if (latency_ms.empty()) return -1.0;
    return latency_ms[static_cast<std::size_t>(q * static_cast<double>(latency_ms.size() - 1))];
  };
  std::printf(
      "messages=%llu bytes=%llu seconds=%.3f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      "failed_clients=%d\n",
      static_cast<unsigned long long>(messages), static_cast<unsigned long long>(bytes), seconds,
      at(0.50), at(0.95), at(0.99), latency_ms.empty() ? -1.0 : latency_ms.back(), failed);
  return 0;
}
