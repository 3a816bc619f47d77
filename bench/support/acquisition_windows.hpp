// Bus cycle times of the real acquisition polling the virtual plant, measured in windows
// without and with a load (SCADA clients, WebSocket clients) that alternate, so that a drift of
// the shared machine's other load falls on both alike; the limits widen by the no-load windows'
// own spread (a change that noise explains is not one), and every figure stands next to its
// limit.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "fieldbus/acquisition.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"

namespace btms::bench {

// The method: kRounds windows without load, each followed by one with, kWindow long each.
constexpr std::chrono::milliseconds kWindow{5000};
constexpr int kRounds = 3;

// Limits: the acquisition may not get slower under load beyond these.
constexpr double kMeanLimitFactor = 1.05;  // mean <= no-load mean * 1.05 + 1 ms
constexpr double kMeanSlackMs = 1.0;
constexpr double kP99LimitFactor = 1.10;  // p99 <= no-load p99 * 1.10 + 2 ms
constexpr double kP99SlackMs = 2.0;

// Demo-size site: one RTU string of 120 batteries at 115200 baud polled back to back (the most
// sensitive to a slower gateway) and four TCP strings polled every 250 ms.
model::Site make_site();

struct BusFigures {
  std::vector<double> cycle_ms;  // one per completed cycle
  double timeouts = 0.0;         // bus/<name>/timeouts gained during the window
  double mean() const;
  double p99() const;
};

struct Window {
  std::map<std::string, BusFigures> buses;
  double gateway_cpu = 0.0;  // CPU seconds of this process per wall second
};

// Every bus/<name>/cycle_ms of the cycles completed during `duration`.
Window measure(const fieldbus::Acquisition& acq, const model::SnapshotPublisher& publisher,
               const model::Site& site, std::chrono::milliseconds duration);

// Cycle samples of several windows of one condition, pooled, and each window's own figures
// (how much windows of the same condition differ: the run-to-run noise).
struct Pooled {
  std::map<std::string, BusFigures> buses;
  std::map<std::string, std::vector<double>> window_means;
  std::map<std::string, std::vector<double>> window_p99s;
  double cpu_sum = 0.0;
  int windows = 0;
  void add(const Window& w);
  double cpu() const { return windows > 0 ? cpu_sum / windows : 0.0; }
  // Largest distance of one window's figure from the pooled figure.
  static double spread(const std::vector<double>& per_window, double pooled);
  double mean_noise(const std::string& bus) const;
  double p99_noise(const std::string& bus) const;
};

const char* verdict(bool ok);

// Prints the method line: "(kRounds rounds of a kWindow window without WITHOUT, then one with;
// limits: ...)".
void print_method(const char* without);

// Prints one line per bus (no-load figures, loaded figures next to their limits, verdict),
// each starting with `indent`; true when every bus is within its limits.
bool judge_buses(const model::Site& site, const Pooled& idle, const Pooled& loaded,
                 const char* indent, const char* idle_label, const char* loaded_label);

}  // namespace btms::bench
