// The log output never holds up a thread: a stdout pipe nobody reads makes lines drop (counted
// and reported when the reader returns), never a caller wait.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <spdlog/async.h>
#include <spdlog/spdlog.h>

#include "ops/log_output.hpp"

namespace {

// A pipe of four pages (a full pipe stops signalling POLLOUT by pages, not bytes), so some 150
// lines fill it.
struct SmallPipe {
  int read_fd = -1;
  int write_fd = -1;
  SmallPipe() {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_fd = fds[0];
    write_fd = fds[1];
    ::fcntl(write_fd, F_SETPIPE_SZ, 16384);
  }
  ~SmallPipe() {
    ::close(read_fd);
    ::close(write_fd);
  }
  std::string drain() const {
    std::string out;
    const int flags = ::fcntl(read_fd, F_GETFL);
    ::fcntl(read_fd, F_SETFL, flags | O_NONBLOCK);
    char buf[4096];
    for (;;) {
      const auto n = ::read(read_fd, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    ::fcntl(read_fd, F_SETFL, flags);
    return out;
  }
};

const std::string kPayload(100, 'x');

}  // namespace

TEST(LogOutput, AFullPipeDropsLinesAndCountsThemInsteadOfBlocking) {
  SmallPipe pipe;
  auto sink = std::make_shared<btms::ops::BoundedFdSink>(pipe.write_fd, 20);
  spdlog::logger logger("t", sink);
  logger.set_pattern("%v");
  // Synchronous on purpose: with a blocking sink this loop would never end (ctest's timeout).
  for (int i = 0; i < 2000; ++i) logger.info("{} {}", i, kPayload);
  EXPECT_GT(sink->dropped_lines(), 1500u);
  const auto written = pipe.drain();
  ASSERT_FALSE(written.empty());
  // What did get through is whole lines, from the first on.
  EXPECT_EQ(written.back(), '\n');
  EXPECT_EQ(written.rfind("0 " + kPayload + "\n", 0), 0u);
}

TEST(LogOutput, WhenTheReaderReturnsTheFirstLineSaysHowManyWereDropped) {
  SmallPipe pipe;
  auto sink = std::make_shared<btms::ops::BoundedFdSink>(pipe.write_fd, 20);
  spdlog::logger logger("t", sink);
  logger.set_pattern("%v");
  for (int i = 0; i < 400; ++i) logger.info("{} {}", i, kPayload);
  const auto dropped = sink->dropped_lines();
  ASSERT_GT(dropped, 0u);
  pipe.drain();
  logger.info("after");
  EXPECT_EQ(pipe.drain(), "[log output] " + std::to_string(dropped) +
                              " lines dropped while the output was blocked\nafter\n");
  EXPECT_EQ(sink->dropped_lines(), dropped);
}

// A sink that does not return until released: the worst output there is.
class HeldSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::promise<void> release;
  std::shared_future<void> released{release.get_future().share()};

 protected:
  void sink_it_(const spdlog::details::log_msg&) override { released.wait(); }
  void flush_() override {}
};

TEST(LogOutput, TheGatewaysLoggerNeverMakesTheCallerWaitOnItsOutput) {
  auto pool = std::make_shared<spdlog::details::thread_pool>(64, 1);
  auto held = std::make_shared<HeldSink>();
  auto logger = btms::ops::make_nonblocking_logger("t", held, pool);
  // 100,000 lines against a queue of 64 and an output that takes none: only a caller that never
  // waits gets through this loop (a blocking queue would hang it: ctest's timeout).
  for (int i = 0; i < 100'000; ++i) logger->info("{} {}", i, kPayload);
  EXPECT_GT(pool->overrun_counter(), 99'000u);
  held->release.set_value();
  logger.reset();
  pool.reset();  // joins the writer
}
