// Proof that the acquisition cycle time is unchanged while 50 WebSocket clients stream every
// battery value (issue 7). A virtual plant (one RTU string of 120 batteries at 115200 baud
// polled back to back, four TCP strings on free loopback ports polled every 250 ms), the real
// acquisition and the real web server fed from its snapshots, all in this process as in the
// gateway; the 50 clients run in ANOTHER process (bench_web_stream_client), as browsers do on
// their own machines. Same method as bench/scada/acquisition_under_load.cpp: windows without and
// with the clients alternate so that a drift of the shared machine's load falls on both, the
// limits widen by the no-load windows' own spread, and every figure stands next to its limit.
//
// Demo size (5 strings, 600 batteries), not the full 32 x 120: the plant simulator, the
// acquisition, the server and the 50 clients share the machine's 2 cores; the full-size
// fan-out itself is measured by bench_web.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "stream_load.hpp"
#include "support/acquisition_windows.hpp"
#include "support/plant_acquisition.hpp"
#include "web/web_server.hpp"

using namespace btms;
using namespace btms::bench;
using namespace std::chrono_literals;

namespace {

constexpr int kClients = 50;
// Windows (kRounds of kWindow) and cycle-time limits: bench/support's, the same as bench/scada's.

}  // namespace

int main() {
  PlantAcquisition rig;
  web::WebOptions options;
  options.port = 0;
  options.allow_anonymous_read = true;  // loopback reads without a session, as the demo
  web::WebServer server(options, rig.publisher, nullptr, rig.site);
  server.start();
  const auto battery_channels = rig.acq.channels().directory->with_prefix("battery/").size();

  std::printf(
      "Acquisition cycle time with and without %d WebSocket clients (another process) each "
      "subscribed to all %zu battery channels\n",
      kClients, battery_channels);
  print_method("clients");
  Pooled idle;
  Pooled loaded;
  bool clients_ran = true;
  double clients_cpu = 0.0;
  unsigned long long messages = 0, bytes = 0;
  double seconds = 0.0, p95_worst = 0.0, p99_worst = 0.0;
  // Clients streaming before the window opens (and after it closes): longer than the slowest
  // bus cycle (the RTU's ~0.8 s), so no cycle counted in the window began while 50 clients
  // were still connecting and receiving their first full message.
  const auto ramp = 1500ms;
  for (int round = 0; round < kRounds; ++round) {
    idle.add(rig.measure(kWindow));
    Window w;
    const auto c =
        bench::run_stream_load(BTMS_WEB_STREAM_CLIENT, server.port(), kClients,
                               static_cast<int>((kWindow + 2 * ramp).count()), "battery/", [&] {
                                 std::this_thread::sleep_for(ramp);
                                 w = rig.measure(kWindow);
                               });
    clients_ran = clients_ran && c.ran;
    loaded.add(w);
    clients_cpu += c.cpu / kRounds;
    messages += c.messages;
    bytes += c.bytes;
    seconds += c.seconds;
    p95_worst = std::max(p95_worst, c.p95_ms);
    p99_worst = std::max(p99_worst, c.p99_ms);
  }
  bool all_ok = clients_ran;
  if (!clients_ran) std::printf("  the client process did not run, or a client failed\n");
  std::printf(
      "  CPU (cores): gateway process (plant simulator + acquisition + server) %.2f without "
      "clients, %.2f with; client process %.2f\n",
      idle.cpu(), loaded.cpu(), clients_cpu);
  std::printf(
      "  stream: %.1f messages per client per s, %.0f bytes per message, latency "
      "measurement -> client p95 %.1f ms, p99 %.1f ms (worst window; reported, not judged "
      "here)\n",
      seconds > 0 ? static_cast<double>(messages) / kClients / seconds : 0.0,
      messages > 0 ? static_cast<double>(bytes) / static_cast<double>(messages) : 0.0, p95_worst,
      p99_worst);
  all_ok = judge_buses(*rig.site, idle, loaded, "  ", "no clients", "with clients") && all_ok;
  std::printf("Result: %s\n", all_ok ? "every judged figure within its limit"
                                     : "SOME JUDGED FIGURE OVER ITS LIMIT");
  server.stop();
  rig.stop();
  return all_ok ? 0 : 1;
}
