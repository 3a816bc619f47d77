// SCADA load generator, run as its own process by acquisition_under_load so that the clients'
// threads, allocations and libmodbus work do not share the gateway process being measured (on a
// site they run on the SCADA's own machine).
//
//   bench_scada_load_client PORT CLIENTS DURATION_MS PERIOD_US
//
// Opens CLIENTS connections to 127.0.0.1:PORT, prints "ready" once every one is connected, then
// each reads 12-register battery blocks of string units 101..105 one after another, flat out
// (PERIOD_US 0) or one block per PERIOD_US, for DURATION_MS. Prints one line:
//   requests=N failures=N seconds=S p50_us=X p99_us=X connect_failures=N
// and exits 0, or 1 when it could not run at all. Loopback only; bounded in time.
#include <modbus.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

struct ClientResult {
  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  std::vector<std::uint32_t> latency_us;  // one per successful request
  bool connected = false;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s PORT CLIENTS DURATION_MS PERIOD_US\n", argv[0]);
    return 1;
  }
  const int port = std::atoi(argv[1]);
  const int clients = std::atoi(argv[2]);
  const auto duration = std::chrono::milliseconds(std::atoi(argv[3]));
  const auto period = std::chrono::microseconds(std::atoi(argv[4]));
  if (port <= 0 || clients <= 0 || clients > 256 || duration.count() <= 0 ||
      duration > std::chrono::minutes(5) || period.count() < 0) {
    std::fprintf(stderr, "bad arguments\n");
    return 1;
  }

  std::vector<ClientResult> results(static_cast<std::size_t>(clients));
  std::atomic<int> connected_or_failed{0};
  std::atomic<bool> go{false};
  std::chrono::steady_clock::time_point end;
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto& r = results[static_cast<std::size_t>(c)];
      modbus_t* ctx = modbus_new_tcp("127.0.0.1", port);
      modbus_set_slave(ctx, 101 + c % 5);
      modbus_set_response_timeout(ctx, 1, 0);
      r.connected = ctx != nullptr && modbus_connect(ctx) == 0;
      ++connected_or_failed;
      while (!go) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      if (r.connected) {
        r.latency_us.reserve(200'000);
        std::uint16_t regs[12];
        auto next = std::chrono::steady_clock::now();
        for (int b = c % 120; std::chrono::steady_clock::now() < end; b = (b + 1) % 120) {
          if (period.count() > 0) {
            next += period;
            std::this_thread::sleep_until(next);
          }
          const auto t0 = std::chrono::steady_clock::now();
          if (modbus_read_registers(ctx, 100 * (b + 1), 12, regs) == 12) {
            const auto t1 = std::chrono::steady_clock::now();
            ++r.requests;
            r.latency_us.push_back(static_cast<std::uint32_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
          } else {
            ++r.failures;
          }
        }
        modbus_close(ctx);
      }
      if (ctx != nullptr) modbus_free(ctx);
    });
  }
  while (connected_or_failed < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::printf("ready\n");
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  end = start + duration;
  go = true;
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::uint64_t requests = 0;
  std::uint64_t failures = 0;
  int connect_failures = 0;
  std::vector<std::uint32_t> latency_us;
  for (auto& r : results) {
    requests += r.requests;
    failures += r.failures;
    if (!r.connected) ++connect_failures;
    latency_us.insert(latency_us.end(), r.latency_us.begin(), r.latency_us.end());
  }
  std::sort(latency_us.begin(), latency_us.end());
  const auto at = [&](double q) -> std::uint32_t {
    if (latency_us.empty()) return 0;
    return latency_us[static_cast<std::size_t>(q * static_cast<double>(latency_us.size() - 1))];
  };
  std::printf("requests=%llu failures=%llu seconds=%.3f p50_us=%u p99_us=%u connect_failures=%d\n",
              static_cast<unsigned long long>(requests), static_cast<unsigned long long>(failures),
              seconds, at(0.50), at(0.99), connect_failures);
  return 0;
}
