// Small sites for the plant device tests: 2 strings x 4 batteries of 12 V / 100 Ah.
#pragma once

#include "model/topology.hpp"

namespace btms::plant::test {

inline constexpr int kMcAddress = 100;
// String 1 on TCP bus "bus1": BM-CS 1..4, BM-GS 10, BM-HS 11. String 2 on bus "bus2" (TCP, or
// RTU with rtu_string2): BM-CS 21..24, BM-GS 30, BM-HS 31. The MC sits on bus1 with one BM-TH and
// one BM-LC; relay 1 / 2 hold the contactors of strings 1 / 2, inputs 1 / 2 report them.
model::Site two_string_site(bool rtu_string2 = false, int bus1_port = 0);

}  // namespace btms::plant::test

#include <chrono>
#include <thread>

namespace btms::plant::test {

// Polls `condition` until it holds or `timeout` passes; the plant runs on its own threads.
template <class Condition>
bool eventually(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(3000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

}  // namespace btms::plant::test
