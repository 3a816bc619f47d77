// The writer's memory is bounded by the channel count, not by time: open chunks are encoded
// incrementally and released when sealed. A short run over several chunk spans at simulated
// time, failing on growth beyond a bound (the store's own account and the process's RSS).
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <random>

#include "store_fixture.hpp"

namespace btms::history {
namespace {

std::uint64_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

TEST(HistoryMemory, BufferedBytesAndRssStayFlatOverManyChunkSpans) {
  TempDb db;
  HistoryOptions options = big_queue();
  options.chunk_max_span_ms = 60'000;  // a span a simulated minute: many spans in a short run
  auto store = open_sqlite_store(db.path(), options);
  auto directory = std::make_shared<model::ChannelDirectory>();
  constexpr int kStrings = 4, kBatteries = 120;
  for (int s = 1; s <= kStrings; ++s)
    for (int b = 1; b <= kBatteries; ++b)
      for (const char* quantity : {"voltage", "temperature", "resistance"})
        directory->add(fmt::format("battery/{}/{}/{}", s, b, quantity), "");
  std::mt19937 noise(7);
  std::uniform_int_distribution<int> counts(-2, 2);
  const auto value_of = [&](model::ChannelId id, int) {
    const double base = id % 3 == 0 ? 2.25 : id % 3 == 1 ? 25.0 : 0.35;
    const double step = id % 3 == 0 ? 0.001 : id % 3 == 1 ? 0.1 : 0.001;
    return base + counts(noise) * step;
  };
  std::uint64_t buffered_after_warmup = 0, rss_after_warmup = 0;
  constexpr int kMinutes = 16;
  for (int minute = 0; minute < kMinutes; ++minute) {
    feed(*store, directory, kT0 + minute * 60'000LL, 60, value_of);
    ASSERT_TRUE(store->flush());
    if (minute == 3) {
      buffered_after_warmup = store->stats().buffered_bytes;
      rss_after_warmup = rss_bytes();
    }
  }
  const auto stats = store->stats();
  EXPECT_GT(stats.chunks_written, static_cast<std::uint64_t>(directory->size()) * 10);
  // Per channel: one open chunk of at most a span of points (~2 B each) plus its state.
  EXPECT_LT(stats.buffered_bytes, directory->size() * 1024) << stats.buffered_bytes;
  EXPECT_LT(stats.buffered_bytes, buffered_after_warmup * 3 / 2)
      << "grew from " << buffered_after_warmup << " to " << stats.buffered_bytes;
  // 12 more chunk spans must not cost the process memory either (allocator noise allowed).
  // Not under AddressSanitizer: its quarantine keeps freed memory resident on purpose.
#if defined(__SANITIZE_ADDRESS__)
  return;
#endif
  const auto rss = rss_bytes();
  EXPECT_LT(rss, rss_after_warmup + (16ULL << 20))
      << "RSS grew from " << (rss_after_warmup >> 20) << " MB to " << (rss >> 20) << " MB";
}

}  // namespace
}  // namespace btms::history
