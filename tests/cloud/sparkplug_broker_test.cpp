// The Sparkplug B format against a real mosquitto on a free loopback port, read back by a real
// subscriber and decoded with the same generated protobuf classes: births before data, DDATA
// matching the snapshot, seq counting and wrapping, rebirth on NCMD, NDEATH from the broker when
// the gateway is killed, bdSeq counting per connection, the backlog sent as history.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <thread>

#include "cloud/cloud_link.hpp"
#include "cloud/sparkplug_b.pb.h"
#include "cloud/sparkplug_node.hpp"
#include "cloud_fixture.hpp"
#include "link_test_bus.hpp"
#include "mqtt_test_broker.hpp"
#include "process.hpp"

namespace btms::cloud {
namespace {

using namespace std::chrono_literals;
using Payload = org::eclipse::tahu::protobuf::Payload;
using test::Bus;
using test::wait_until;

constexpr std::int64_t kStartMs = 1'700'000'000'000;

CloudConfig sparkplug_config(int port) {
  auto config = test::broker_test_config(port, "btms-sparkplug-test");
  config.format = PayloadFormat::sparkplug;
  return config;
}

// The message type of a Sparkplug topic (spBv1.0/<group>/<type>/<node>[/<device>]).
std::string type_of(const std::string& topic) {
  const auto a = topic.find('/', topic.find('/') + 1) + 1;
  return topic.substr(a, topic.find('/', a) - a);
}

Payload decode(const test::ReceivedMessage& m) {
  Payload p;
  EXPECT_TRUE(p.ParseFromString(m.payload)) << m.topic;
  return p;
}

std::size_t count_type(const std::vector<test::ReceivedMessage>& all, std::string_view type) {
  std::size_t n = 0;
  for (const auto& m : all) n += type_of(m.topic) == type;
  return n;
}

std::uint64_t bd_seq_of(const Payload& p) {
  for (const auto& m : p.metrics())
    if (m.name() == "bdSeq") return m.long_value();
  ADD_FAILURE() << "no bdSeq";
  return 999;
}

// Sends an NCMD as a host application would (mosquitto_pub with the payload from a file).
void send_rebirth(int port, const std::string& folder) {
  Payload p;
  p.set_timestamp(static_cast<std::uint64_t>(kStartMs));
  auto* m = p.add_metrics();
  m->set_name("Node Control/Rebirth");
  m->set_datatype(11);
  m->set_boolean_value(true);
  const auto file = folder + "/ncmd.bin";
  std::ofstream(file, std::ios::binary) << p.SerializeAsString();
  const auto command = fmt::format(
      "mosquitto_pub -h 127.0.0.1 -p {} -q 1 -t spBv1.0/dc1/NCMD/gw1 -f {}", port, file);
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(SparkplugBroker, BirthsThenDataThatMatchTheSnapshotWithSeqCountingAndWrapping) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  test::Subscriber sub(broker.port(), "spBv1.0/#", "sparkplug-sub");
  ASSERT_TRUE(sub.wait_connected(5s));
  const auto site = test::make_site(2, 4);
  test::BundleMaker maker(site);
  Bus bus;
  CloudLink link(sparkplug_config(broker.port()), site, bus.sources(), folder.path() + "/outbox.db",
                 model::system_clock());
  link.start();
  bus.publication->publish(maker.make(1, kStartMs + 1000));
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_type(m, "DBIRTH") >= 2; }, 10s));
  // Steps until the seq wrapped: every step moves each battery voltage past its deadband, so
  // each step is one DDATA per string.
  std::uint64_t step = 2;
  while (sub.messages().size() < 300 && step < 2000) {
    bus.publication->publish(maker.make(step, kStartMs + static_cast<std::int64_t>(step) * 1000));
    ++step;
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return m.size() >= 300; }, 10s));
  link.stop();
  const auto all = sub.messages();
  ASSERT_EQ(type_of(all[0].topic), "NBIRTH");
  EXPECT_EQ(all[1].topic, "spBv1.0/dc1/DBIRTH/gw1/string-1");
  EXPECT_EQ(all[2].topic, "spBv1.0/dc1/DBIRTH/gw1/string-2");
  // Aliases of the births, per device.
  std::map<std::string, std::map<std::uint64_t, std::string>> names;
  for (std::size_t i = 1; i <= 2; ++i) {
    const auto device = all[i].topic.substr(all[i].topic.rfind('/') + 1);
    const auto birth = decode(all[i]);
    for (const auto& m : birth.metrics()) names[device][m.alias()] = m.name();
    EXPECT_GE(names[device].size(), 4u * 5) << "the batteries' and the string's own";
  }
  bool wrapped = false;
  std::size_t ddata = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto p = decode(all[i]);
    if (type_of(all[i].topic) == "NDEATH") break;  // the clean stop's, without seq
    EXPECT_EQ(p.seq(), i % 256) << i << " " << all[i].topic;
    wrapped = wrapped || (i > 0 && p.seq() == 0);
    if (type_of(all[i].topic) != "DDATA") continue;
    ++ddata;
    const auto device = all[i].topic.substr(all[i].topic.rfind('/') + 1);
    const auto at_step = (static_cast<std::int64_t>(p.timestamp()) - kStartMs) / 1000;
    ASSERT_EQ(p.metrics_size(), 4) << "only the voltages moved";
    for (const auto& m : p.metrics()) {
      EXPECT_FALSE(m.has_name());
      EXPECT_FALSE(m.is_historical());
      const auto& name = names[device].at(m.alias());
      int position = 0;
      ASSERT_EQ(std::sscanf(name.c_str(), "battery/%d/voltage", &position), 1) << name;
      EXPECT_NEAR(m.double_value(),
                  test::BundleMaker::voltage(position, static_cast<std::uint64_t>(at_step)), 1e-9);
    }
  }
  EXPECT_TRUE(wrapped);
  EXPECT_GE(ddata, 250u);
}

TEST(SparkplugBroker, RebirthCommandSendsTheBirthsAgainWithTheSameBdSeq) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  test::Subscriber sub(broker.port(), "spBv1.0/+/+/gw1/#", "sparkplug-sub");
  ASSERT_TRUE(sub.wait_connected(5s));
  const auto site = test::make_site(2, 2);
  test::BundleMaker maker(site);
  Bus bus;
  CloudLink link(sparkplug_config(broker.port()), site, bus.sources(), folder.path() + "/outbox.db",
                 model::system_clock());
  link.start();
  bus.publication->publish(maker.make(1, kStartMs));
  bus.publication->publish(maker.make(2, kStartMs + 1000));
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_type(m, "DBIRTH") >= 2; }, 10s));
  send_rebirth(broker.port(), folder.path());
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_type(m, "DBIRTH") >= 4; }, 10s));
  const auto all = sub.messages();
  std::vector<std::size_t> nbirths;
  for (std::size_t i = 0; i < all.size(); ++i)
    if (type_of(all[i].topic) == "NBIRTH") nbirths.push_back(i);
  ASSERT_EQ(nbirths.size(), 2u);
  const auto first = decode(all[nbirths[0]]);
  const auto second = decode(all[nbirths[1]]);
  EXPECT_EQ(second.seq(), 0u) << "a rebirth starts the count again";
  EXPECT_EQ(bd_seq_of(first), bd_seq_of(second)) << "same connection, same will";
  EXPECT_EQ(type_of(all[nbirths[1] + 1].topic), "DBIRTH");
  EXPECT_EQ(decode(all[nbirths[1] + 1]).seq(), 1u);
  link.stop();
}

// The gateway is killed: the broker delivers its NDEATH (the will) with the bdSeq of its
// NBIRTH; the restarted gateway's NBIRTH counts on, and a clean stop sends NDEATH itself.
TEST(SparkplugBroker, KilledGatewaysDeathComesFromTheBrokerAndBdSeqCountsPerConnection) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  const auto outbox_path = folder.path() + "/outbox.db";
  int go[2], ready[2];
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(go[1]);
    close(ready[0]);
    char byte = 0;
    if (read(go[0], &byte, 1) != 1) _exit(2);
    const auto site = test::make_site(1, 2);
    test::BundleMaker maker(site);
    Bus bus;
    CloudLink link(sparkplug_config(broker.port()), site, bus.sources(), outbox_path,
                   model::system_clock());
    link.start();
    bus.publication->publish(maker.make(1, kStartMs));
    wait_until([&] { return link.health().connected; }, 10s);
    [[maybe_unused]] const auto n = write(ready[1], &byte, 1);
    pause();
    _exit(0);
  }
  close(go[0]);
  close(ready[1]);
  test::Subscriber sub(broker.port(), "spBv1.0/#", "sparkplug-sub");
  ASSERT_TRUE(sub.wait_connected(5s));
  const char byte = 1;
  ASSERT_EQ(write(go[1], &byte, 1), 1);
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_type(m, "DBIRTH") >= 1; }, 10s));
  char got = 0;
  ASSERT_EQ(read(ready[0], &got, 1), 1);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  close(go[1]);
  close(ready[0]);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_type(m, "NDEATH") >= 1; }, 10s))
      << "the broker sends the will of a connection that died";
  std::uint64_t birth_bd_seq = 999, death_bd_seq = 998;
  for (const auto& m : sub.messages()) {
    if (type_of(m.topic) == "NBIRTH") birth_bd_seq = bd_seq_of(decode(m));
    if (type_of(m.topic) == "NDEATH") {
      death_bd_seq = bd_seq_of(decode(m));
      EXPECT_FALSE(m.retained);
    }
  }
  EXPECT_EQ(birth_bd_seq, death_bd_seq);

  const auto site = test::make_site(1, 2);
  test::BundleMaker maker(site);
  Bus bus;
  CloudLink link(sparkplug_config(broker.port()), site, bus.sources(), outbox_path,
                 model::system_clock());
  link.start();
  bus.publication->publish(maker.make(1, kStartMs));
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_type(m, "NBIRTH") >= 2; }, 10s));
  link.stop();
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_type(m, "NDEATH") >= 2; }, 10s))
      << "a clean stop says so itself (DISCONNECT suppresses the will)";
  std::vector<std::uint64_t> births, deaths;
  for (const auto& m : sub.messages()) {
    if (type_of(m.topic) == "NBIRTH") births.push_back(bd_seq_of(decode(m)));
    if (type_of(m.topic) == "NDEATH") deaths.push_back(bd_seq_of(decode(m)));
  }
  ASSERT_EQ(births.size(), 2u);
  EXPECT_EQ(births[1], (births[0] + 1) % 256);
  EXPECT_EQ(deaths.back(), births[1]);
}

// Broker down for a while: the DDATA stored meanwhile goes out after the new births, every
// metric marked is_historical with its original timestamp; live data after it is not.
TEST(SparkplugBroker, BacklogAfterAnOutageIsSentAsHistoryAfterTheBirths) {
  e2e::TempFolder folder;
  test::MosquittoBroker broker(folder.path(), {});
  test::Subscriber sub(broker.port(), "spBv1.0/#", "sparkplug-sub");
  ASSERT_TRUE(sub.wait_connected(5s));
  const auto site = test::make_site(2, 2);
  test::BundleMaker maker(site);
  Bus bus;
  CloudLink link(sparkplug_config(broker.port()), site, bus.sources(), folder.path() + "/outbox.db",
                 model::system_clock());
  link.start();
  bus.publication->publish(maker.make(1, kStartMs + 1000));
  ASSERT_TRUE(sub.wait_for([](const auto& m) { return count_type(m, "DBIRTH") >= 2; }, 10s));
  broker.stop();
  ASSERT_TRUE(wait_until([&] { return !link.health().connected; }, 10s));
  constexpr std::uint64_t kLastOutageStep = 6;
  for (std::uint64_t step = 2; step <= kLastOutageStep; ++step) {
    const auto before = link.health().outbox.newest_mid;
    bus.publication->publish(maker.make(step, kStartMs + static_cast<std::int64_t>(step) * 1000));
    ASSERT_TRUE(wait_until([&] { return link.health().outbox.newest_mid >= before + 2; }, 10s));
  }
  broker.start();
  ASSERT_TRUE(wait_until([&] { return link.health().connected; }, 10s));
  ASSERT_TRUE(wait_until([&] { return link.health().outbox.rows == 0; }, 10s));
  bus.publication->publish(maker.make(7, kStartMs + 7000));
  ASSERT_TRUE(sub.wait_for(
      [](const auto& m) {
        for (const auto& x : m)
          if (type_of(x.topic) == "DDATA" && !decode(x).metrics(0).is_historical()) return true;
        return false;
      },
      10s));
  link.stop();
  const auto all = sub.messages();
  std::size_t second_birth = 0;
  for (std::size_t i = 1; i < all.size(); ++i)
    if (type_of(all[i].topic) == "NBIRTH") second_birth = i;
  ASSERT_GT(second_birth, 0u);
  std::vector<std::int64_t> historical_steps;
  for (std::size_t i = second_birth + 1; i < all.size(); ++i) {
    const auto p = decode(all[i]);
    if (i <= second_birth + 2) {
      EXPECT_EQ(type_of(all[i].topic), "DBIRTH") << "births before the backlog";
      continue;
    }
    if (type_of(all[i].topic) != "DDATA") continue;
    const auto at_step = (static_cast<std::int64_t>(p.timestamp()) - kStartMs) / 1000;
    for (const auto& m : p.metrics())
      EXPECT_EQ(m.is_historical(), at_step <= static_cast<std::int64_t>(kLastOutageStep))
          << at_step;
    if (p.metrics(0).is_historical()) historical_steps.push_back(at_step);
  }
  // Two strings, steps 2..6, in order.
  ASSERT_EQ(historical_steps.size(), 2 * (kLastOutageStep - 1));
  for (std::size_t i = 0; i < historical_steps.size(); ++i)
    EXPECT_EQ(historical_steps[i], static_cast<std::int64_t>(2 + i / 2));
}

}  // namespace
}  // namespace btms::cloud
