#include "web/http_counters.hpp"

namespace btms::web {

void HttpCounters::record(int status) {
  if (status < kMin || status > kMax) status = 500;
  by_status_[static_cast<std::size_t>(status - kMin)].fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::pair<int, std::uint64_t>> HttpCounters::counts() const {
  std::vector<std::pair<int, std::uint64_t>> out;
  for (std::size_t i = 0; i < by_status_.size(); ++i) {
    const auto n = by_status_[i].load(std::memory_order_relaxed);
    if (n != 0) out.emplace_back(static_cast<int>(i) + kMin, n);
  }
  return out;
}

}  // namespace btms::web
