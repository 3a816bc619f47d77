// Counts answered HTTP requests per status code for btms_http_requests_total. Lock-free so the
// server threads never contend on it.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

namespace btms::web {

class HttpCounters {
 public:
  void record(int status);
  // (status, count) for every status seen at least once, ascending by status.
  std::vector<std::pair<int, std::uint64_t>> counts() const;

 private:
  static constexpr int kMin = 100;
  static constexpr int kMax = 599;
  std::array<std::atomic<std::uint64_t>, kMax - kMin + 1> by_status_{};
};

}  // namespace btms::web
