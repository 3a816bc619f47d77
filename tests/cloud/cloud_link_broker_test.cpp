// The cloud link against a real mosquitto broker started by the test on a free loopback port,
// read back by a real subscriber: values, events, alarms and status arrive and parse; a broker
// outage of one simulated hour loses nothing; TLS verifies the broker; a killed gateway's
// outbox survives.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cloud/cloud_link.hpp"
#include "cloud_fixture.hpp"
#include "link_test_bus.hpp"
#include "mqtt_test_broker.hpp"
#include "process.hpp"

namespace btms::cloud {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using test::Bus;
using test::wait_until;

CloudConfig link_config(int port) {
  return test::broker_test_config(port);
}

std::vector<json> payloads_on(const std::vector<test::ReceivedMessage>& all,
                              const std::string& topic) {
  std::vector<json> out;
  for (const auto& m : all)
    if (m.topic == topic && !m.payload.empty()) out.push_back(json::parse(m.payload));
  return out;
}

std::size_t count_suffix(const std::vector<test::ReceivedMessage>& all, std::string_view part) {
  std::size_t n = 0;
  for (const auto& m : all) n += m.topic.find(part) != std::string::npos;
  return n;
}

TEST(CloudLinkBroker, PublishesStatusValuesAlarmsAndEventsThatParseAndMatch) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  test::Subscriber sub(broker.port(), "btms/#");
  ASSERT_TRUE(sub.wait_connected(5s));
  const auto site = test::make_site(2, 4);
  test::BundleMaker maker(site);
  Bus bus{100'000};  // room for an hour's backlog of events
  CloudLink link(link_config(broker.port()), site, bus.sources(), folder.path() + "/outbox.db",
                 model::system_clock());
  link.start();
  ASSERT_TRUE(sub.wait_for(
      [](const auto& m) {
        for (const auto& x : m)
          if (x.topic == "btms/dc1/gw1/status" && x.payload == "online") return true;
        return false;
      },
      10s));
  engine::ActiveAlarm alarm;
  alarm.key = "string/2:string_insulation_low";
  alarm.source = "string/2";
  alarm.rule = "string_insulation_low";
  alarm.text = "String 2 insulation low";
  auto alarms = std::make_shared<engine::AlarmList>();
  alarms->time_ms = 1'700'000'000'000;
  alarms->alarms.push_back(alarm);
  const auto bundle = maker.make(3, 1'700'000'000'000, model::Quality::ok, alarms);
  bus.publication->publish(bundle);
  bus.append_events(3, 1'700'000'000'000);
  ASSERT_TRUE(sub.wait_for(
      [](const auto& m) {
        return count_suffix(m, "/battery/") >= 8 && count_suffix(m, "/event") >= 3 &&
               count_suffix(m, "/alarm/") >= 1 && count_suffix(m, "/summary") >= 2;
      },
      10s));
  const auto all = sub.messages();
  // Every battery's message matches the published snapshot (at the channel's resolution).
  for (int s = 1; s <= 2; ++s) {
    for (int p = 1; p <= 4; ++p) {
      const auto got = payloads_on(all, fmt::format("btms/dc1/gw1/string/{}/battery/{}", s, p));
      ASSERT_EQ(got.size(), 1u) << s << "/" << p;
      const auto& j = got[0];
      EXPECT_NEAR(j["voltage"]["value"].get<double>(), test::BundleMaker::voltage(p, 3), 1e-9);
      EXPECT_EQ(j["voltage"]["quality"], "ok");
      EXPECT_EQ(j["voltage"]["ts"], 1'700'000'000'000);
      EXPECT_EQ(j["ts"], 1'700'000'000'000);
      EXPECT_TRUE(j.contains("mid"));
    }
  }
  const auto events = payloads_on(all, "btms/dc1/gw1/event");
  ASSERT_EQ(events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(events[i]["id"], i + 1);
  const auto alarm_msgs = payloads_on(all, "btms/dc1/gw1/alarm/string/2/string_insulation_low");
  ASSERT_EQ(alarm_msgs.size(), 1u);
  EXPECT_EQ(alarm_msgs[0]["active"], true);
  // Message ids: unique and increasing.
  std::set<std::int64_t> mids;
  for (const auto& m : all)
    if (m.topic != "btms/dc1/gw1/status" && !m.payload.empty()) {
      EXPECT_TRUE(mids.insert(json::parse(m.payload)["mid"].get<std::int64_t>()).second);
    }
  // Everything acknowledged leaves the outbox; health says so. Both are waited for: the
  // subscriber can see the messages before the link's health counts them in the outbox at all.
  ASSERT_TRUE(wait_until(
      [&] {
        const auto h = link.health();
        return h.outbox.rows == 0 && h.acknowledged >= 14;
      },
      10s));
  const auto health = link.health();
  EXPECT_TRUE(health.connected);
  EXPECT_GE(health.acknowledged, 14);  // 8 batteries, 2 summaries, 1 alarm, 3 events
  const auto metrics = link.metrics_text();
  EXPECT_NE(metrics.find("btms_cloud_connected 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("btms_cloud_outbox_messages 0\n"), std::string::npos) << metrics;
  // A clean stop says "offline" (retained) itself.
  link.stop();
  ASSERT_TRUE(sub.wait_for(
      [](const auto& m) {
        return !m.empty() && m.back().topic == "btms/dc1/gw1/status" &&
               m.back().payload == "offline";
      },
      5s));
}

// The broker is down for one simulated hour of a running gateway (plant clock at 360x: a step
// every 10 simulated seconds); every value and event of that hour arrives after the restart,
// with its original timestamp, the backlog in order.
TEST(CloudLinkBroker, BrokerOutageOfOneSimulatedHourLosesNothing) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  auto sub = std::make_unique<test::Subscriber>(broker.port(), "btms/#");
  ASSERT_TRUE(sub->wait_connected(5s));
  const auto site = test::make_site(1, 4);
  test::BundleMaker maker(site);
  Bus bus{100'000};  // room for an hour's backlog of events
  const std::int64_t start_ms = 1'700'000'000'000;
  auto clock = std::make_shared<model::ScaledClock>(start_ms, 360.0);
  CloudLink link(link_config(broker.port()), site, bus.sources(), folder.path() + "/outbox.db",
                 clock);
  link.start();
  ASSERT_TRUE(wait_until([&] { return link.health().connected; }, 10s));
  broker.stop();
  ASSERT_TRUE(wait_until([&] { return !link.health().connected; }, 10s));
  // One hour at a step every 10 s: 360 steps, each moving every battery past the deadband, and
  // an event every minute.
  constexpr int kSteps = 360;
  for (int i = 1; i <= kSteps; ++i) {
    const std::int64_t t = start_ms + i * 10'000LL;
    const auto before = link.health().outbox.newest_mid;
    bus.publication->publish(maker.make(static_cast<std::uint64_t>(i), t));
    if (i % 6 == 0) bus.append_events(1, t);
    // The link reads the newest step (a consumer that falls behind skips to it); the engine
    // publishes one a second, so it is stored before the next comes.
    ASSERT_TRUE(wait_until([&] { return link.health().outbox.newest_mid >= before + 4; }, 10s));
  }
  ASSERT_TRUE(
      wait_until([&] { return link.health().outbox.rows >= kSteps * 4 + kSteps / 6; }, 20s));
  EXPECT_FALSE(link.health().connected);
  EXPECT_GT(link.health().connect_failures, 0);
  broker.start();
  ASSERT_TRUE(wait_until([&] { return link.health().outbox.rows == 0; }, 60s))
      << link.health().outbox.rows << " still stored";
  // The subscriber's persistent session got everything the broker took while it was away too.
  ASSERT_TRUE(sub->wait_for(
      [&](const auto& m) {
        return count_suffix(m, "/battery/") >= kSteps * 4 &&
               count_suffix(m, "/event") >= kSteps / 6;
      },
      30s));
  const auto all = sub->messages();
  for (int p = 1; p <= 4; ++p) {
    const auto got = payloads_on(all, fmt::format("btms/dc1/gw1/string/1/battery/{}", p));
    // Every step's value once (QoS 1 may repeat one; a consumer drops repeats by mid).
    std::map<std::int64_t, json> by_mid;
    std::int64_t last_mid = 0;
    for (const auto& j : got) {
      const auto mid = j["mid"].get<std::int64_t>();
      if (by_mid.contains(mid)) continue;
      EXPECT_GT(mid, last_mid) << "battery " << p << ": backlog out of order";
      last_mid = mid;
      by_mid[mid] = j;
    }
    ASSERT_EQ(by_mid.size(), static_cast<std::size_t>(kSteps)) << "battery " << p;
    std::set<std::int64_t> stamps;
    for (const auto& [mid, j] : by_mid) {
      const auto ts = j["voltage"]["ts"].get<std::int64_t>();
      stamps.insert(ts);
      const auto step = static_cast<std::uint64_t>((ts - start_ms) / 10'000);
      EXPECT_NEAR(j["voltage"]["value"].get<double>(), test::BundleMaker::voltage(p, step), 1e-9);
    }
    for (int i = 1; i <= kSteps; ++i)
      EXPECT_TRUE(stamps.contains(start_ms + i * 10'000LL)) << "battery " << p << " step " << i;
  }
  const auto events = payloads_on(all, "btms/dc1/gw1/event");
  std::vector<std::uint64_t> ids;
  for (const auto& e : events)
    if (ids.empty() || e["id"].get<std::uint64_t>() != ids.back()) ids.push_back(e["id"]);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kSteps / 6));
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], i + 1);
  EXPECT_EQ(link.health().outbox.dropped_telemetry, 0);
  link.stop();
}

TEST(CloudLinkBroker, TlsVerifiesTheBrokerAndSendsAClientCertificate) {
  e2e::TempFolder folder;
  const auto certs = test::make_test_certificates(folder.path());
  test::MosquittoBroker::Options options;
  options.tls_port = 0;
  options.certs = certs;
  options.require_client_cert = true;
  test::MosquittoBroker broker(folder.path(), options);
  test::Subscriber sub(broker.port(), "btms/#");
  ASSERT_TRUE(sub.wait_connected(5s));
  const auto site = test::make_site(1, 2);
  test::BundleMaker maker(site);
  Bus bus{100'000};  // room for an hour's backlog of events
  // Trusting the test CA, with the client certificate: connected, messages arrive.
  auto config = link_config(broker.tls_port());
  config.broker.tls = true;
  config.ca_file = certs.ca_file;
  config.cert_file = certs.client_cert;
  config.key_file = certs.client_key;
  {
    CloudLink link(config, site, bus.sources(), folder.path() + "/outbox.db",
                   model::system_clock());
    link.start();
    ASSERT_TRUE(wait_until([&] { return link.health().connected; }, 10s))
        << link.health().last_error;
    bus.publication->publish(maker.make(1, 1'700'000'000'000));
    ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_suffix(m, "/battery/") >= 2; }, 10s));
    link.stop();
  }
  // Trusting another CA: the broker's certificate is refused, never connected.
  config.ca_file = certs.other_ca_file;
  CloudLink untrusting(config, site, bus.sources(), folder.path() + "/outbox2.db",
                       model::system_clock());
  untrusting.start();
  ASSERT_TRUE(wait_until([&] { return untrusting.health().connect_failures >= 2; }, 10s));
  EXPECT_FALSE(untrusting.health().connected);
  EXPECT_EQ(untrusting.health().connects, 0);
  untrusting.stop();
}

// The gateway is killed (SIGKILL) while the broker is down: what it had stored is sent after
// the restart, nothing lost.
TEST(CloudLinkBroker, OutboxSurvivesAKilledGateway) {
  e2e::TempFolder folder;
  const auto outbox_path = folder.path() + "/outbox.db";
  const int dead_port = test::free_loopback_port();  // no broker there: an outage
  constexpr int kEvents = 200;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The "gateway": stores events while it cannot reach the broker, then waits to be killed.
    close(ready[0]);
    const auto site = test::make_site(1, 1);
    Bus bus{100'000};  // room for an hour's backlog of events
    CloudLink link(link_config(dead_port), site, bus.sources(), outbox_path, model::system_clock());
    link.start();
    bus.append_events(kEvents, 1'700'000'000'000);
    wait_until([&] { return link.health().outbox.rows >= kEvents; }, 20s);
    const char byte = 1;
    [[maybe_unused]] const auto n = write(ready[1], &byte, 1);
    pause();
    _exit(0);
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  test::MosquittoBroker::Options options;
  options.port = dead_port;
  test::MosquittoBroker broker(folder.path(), options);
  test::Subscriber sub(broker.port(), "btms/#");
  ASSERT_TRUE(sub.wait_connected(5s));
  const auto site = test::make_site(1, 1);
  Bus bus{100'000};  // room for an hour's backlog of events
  CloudLink link(link_config(broker.port()), site, bus.sources(), outbox_path,
                 model::system_clock());
  EXPECT_EQ(Outbox(outbox_path, OutboxLimits{}).stats().rows, kEvents);
  link.start();
  ASSERT_TRUE(
      sub.wait_for([](const auto& m) { return count_suffix(m, "/event") >= kEvents; }, 20s));
  const auto events = payloads_on(sub.messages(), "btms/dc1/gw1/event");
  for (std::size_t i = 0; i < kEvents; ++i) EXPECT_EQ(events[i]["id"], i + 1);
  ASSERT_TRUE(wait_until([&] { return link.health().outbox.rows == 0; }, 10s));
  link.stop();
}

}  // namespace
}  // namespace btms::cloud

namespace btms::cloud {
namespace {

// Records the conditions the link submits (the engine would turn them into alarms).
class RecordingEngine final : public engine::EngineService {
 public:
  std::shared_ptr<const engine::AlarmList> alarms() const override {
    return std::make_shared<engine::AlarmList>();
  }
  std::vector<model::Event> events_after(std::uint64_t, std::size_t) const override { return {}; }
  std::vector<model::DischargeRecord> running_discharges() const override { return {}; }
  engine::EngineConfig config() const override { return {}; }
  std::future<engine::ActionResult> submit(engine::Action action, engine::Actor) override {
    if (const auto* c = std::get_if<engine::SetSystemCondition>(&action)) {
      std::lock_guard lock(mutex_);
      conditions_.push_back(*c);
    }
    std::promise<engine::ActionResult> done;
    done.set_value({true, "", engine::ActionStatus::done, 0});
    return done.get_future();
  }
  std::vector<engine::SetSystemCondition> conditions() const {
    std::lock_guard lock(mutex_);
    return conditions_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<engine::SetSystemCondition> conditions_;
};

// A broker out of reach for offline_warning_s (gateway clock) raises the warning once; the next
// connect clears it.
TEST(CloudLinkBroker, UnreachableBrokerRaisesAWarningThatClearsOnConnect) {
  e2e::TempFolder folder;
  const int port = test::free_loopback_port();
  auto engine = std::make_shared<RecordingEngine>();
  Bus bus{100'000};  // room for an hour's backlog of events
  auto config = link_config(port);
  config.offline_warning_s = 60;
  // At 600x, a minute of gateway time passes in 0.1 s of real time.
  auto clock = std::make_shared<model::ScaledClock>(1'700'000'000'000, 600.0);
  CloudLink link(config, test::make_site(1, 1), {bus.publication, bus.events, engine},
                 folder.path() + "/outbox.db", clock);
  link.start();
  ASSERT_TRUE(wait_until([&] { return !engine->conditions().empty(); }, 10s));
  auto conditions = engine->conditions();
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0].source, "cloud");
  EXPECT_EQ(conditions[0].rule, "cloud_broker_unreachable");
  EXPECT_TRUE(conditions[0].active);
  EXPECT_EQ(conditions[0].severity, model::Severity::warning);
  test::MosquittoBroker::Options options;
  options.port = port;
  test::MosquittoBroker broker(folder.path(), options);
  ASSERT_TRUE(wait_until([&] { return engine->conditions().size() >= 2; }, 10s));
  conditions = engine->conditions();
  EXPECT_FALSE(conditions[1].active);
  EXPECT_EQ(conditions.size(), 2u);
  link.stop();
}

// A broker address that takes the TCP handshake and never completes it (a firewall that drops
// packets, a dead cellular link) must not hold the link's thread: the gateway's stop joins it.
// Simulated on loopback by a listener whose backlog is full, so further SYNs go unanswered
// (the kernel retries for about two minutes). Such an attempt is given up after the keep-alive.
TEST(CloudLinkBroker, StopReturnsWhileTheBrokerNeverAnswersTheHandshake) {
  e2e::TempFolder folder;
  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(listener, 0), 0);
  socklen_t length = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length);
  const int filler = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(::connect(filler, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);

  Bus bus{100'000};  // room for an hour's backlog of events
  auto config = link_config(ntohs(addr.sin_port));
  config.keepalive_s = 5;  // the shortest the settings allow
  auto link = std::make_unique<CloudLink>(config, test::make_site(1, 1), bus.sources(),
                                          folder.path() + "/outbox.db", model::system_clock());
  link->start();
  // The unanswered attempt is given up after the keep-alive, counted, and tried again.
  ASSERT_TRUE(wait_until(
      [&] {
        return link->health().last_error.find("no answer from the broker within the keep-alive") !=
               std::string::npos;
      },
      15s))
      << link->health().last_error;
  EXPECT_GE(link->health().connect_failures, 1);
  EXPECT_FALSE(link->health().connected);
  std::this_thread::sleep_for(300ms);  // inside the next attempt (the backoff is 50..200 ms)
  std::atomic<bool> stopped{false};
  std::thread stopper([&] {
    link->stop();
    stopped = true;
  });
  // Far below the kernel's two minutes of SYN retries, far above a prompt stop.
  const bool prompt = wait_until([&] { return stopped.load(); }, 10s);
  EXPECT_TRUE(prompt) << "stop() is held by a connect that the broker never answers";
  stopper.join();
  ::close(filler);
  ::close(listener);
}

}  // namespace
}  // namespace btms::cloud
