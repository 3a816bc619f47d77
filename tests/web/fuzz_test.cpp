// Random and mutated request bytes must never crash the server or stop it from answering.
#include <gtest/gtest.h>

#include <random>

#include "test_client.hpp"
#include "test_plant.hpp"
#include "web/web_server.hpp"

namespace btms::web {
namespace {

using namespace std::chrono_literals;

TEST(WebServerFuzz, RandomAndMutatedRequestsDoNotBreakTheServer) {
  test::TestPlant plant;
  plant.publish();
  WebOptions options;
  options.port = 0;
  options.allow_anonymous_read = true;  // loopback demo: these tests are not about login
  WebServer server(options, plant.plant, plant.derived, plant.site);
  server.start();

  const std::vector<std::string> seeds = {
      "GET /api/v1/live?prefix=string/1/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      "POST /api/v1/live HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
      "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
      "\x81\x85\x01\x02\x03\x04zzzzz",
      "GET /%2e%2e/%00 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n",
  };
  std::mt19937 rng(12345);
  constexpr int kRounds = 150;
  for (int round = 0; round < kRounds; ++round) {
    std::string bytes = seeds[static_cast<std::size_t>(round) % seeds.size()];
    if (round % 3 == 0) {
      // Pure noise.
      bytes.assign(std::uniform_int_distribution<std::size_t>(1, 600)(rng), '\0');
      for (auto& c : bytes) c = static_cast<char>(rng());
    } else {
      // Mutate a few bytes, maybe truncate.
      const int flips = std::uniform_int_distribution<int>(1, 8)(rng);
      for (int f = 0; f < flips; ++f) {
        bytes[std::uniform_int_distribution<std::size_t>(0, bytes.size() - 1)(rng)] =
            static_cast<char>(rng());
      }
      if (round % 2 == 0)
        bytes.resize(std::uniform_int_distribution<std::size_t>(1, bytes.size())(rng));
    }
    // Short timeout: half the inputs leave the server waiting for more bytes, which is fine.
    const auto reply = test::exchange_raw(server.port(), bytes, 50ms);
    if (!reply.empty()) {
      EXPECT_TRUE(reply.starts_with("HTTP/1.1 ")) << "round " << round;
    }
  }
  const auto health = test::http_request(server.port(), "GET", "/api/v1/health");
  EXPECT_EQ(health.status, 200);
  server.stop();
}

}  // namespace
}  // namespace btms::web
