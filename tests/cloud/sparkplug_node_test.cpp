// The Sparkplug B encoder without a broker: births, aliases, datatypes, which changes make a
// DATA message (deadbands and quality, table-driven), seq and is_historical stamping, rebirth
// commands, bdSeq kept across restarts, and the format setting.
#include "cloud/sparkplug_node.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include <unistd.h>

#include "cloud/sparkplug_b.pb.h"
#include "cloud_fixture.hpp"

namespace btms::cloud {
namespace {

using Payload = org::eclipse::tahu::protobuf::Payload;
using Metric = org::eclipse::tahu::protobuf::Payload_Metric;

CloudConfig sparkplug_config() {
  CloudConfig config;
  config.site_id = "dc1";
  config.gateway_id = "gw1";
  config.format = PayloadFormat::sparkplug;
  return config;
}

Payload parse(const std::string& bytes) {
  Payload p;
  EXPECT_TRUE(p.ParseFromString(bytes));
  return p;
}

std::string quality_of(const Metric& m) {
  const auto& props = m.properties();
  for (int i = 0; i < props.keys_size(); ++i)
    if (props.keys(i) == "quality") return props.values(i).string_value();
  return "";
}

// A bundle of the fixture with one plant sample replaced.
std::shared_ptr<engine::StepBundle> with_plant_sample(const engine::StepBundle& base,
                                                      const std::string& channel,
                                                      model::Sample sample) {
  auto bundle = std::make_shared<engine::StepBundle>(base);
  auto plant = std::make_shared<model::Snapshot>(*base.plant);
  plant->samples[*plant->channels->find(channel)] = sample;
  bundle->plant = plant;
  return bundle;
}

TEST(SparkplugNode, TopicsFollowTheNamespaceGroupNodeAndDevice) {
  const auto site = test::make_site(2, 3);
  SparkplugNode node(sparkplug_config(), site);
  EXPECT_EQ(node.topic("NBIRTH"), "spBv1.0/dc1/NBIRTH/gw1");
  EXPECT_EQ(node.topic("DDATA", SparkplugNode::device_id(2)), "spBv1.0/dc1/DDATA/gw1/string-2");
  EXPECT_EQ(node.topic("NCMD"), "spBv1.0/dc1/NCMD/gw1");
}

TEST(SparkplugNode, BirthsCarryEveryMetricWithNameAliasDatatypeValueAndQuality) {
  const auto site = test::make_site(2, 3);
  test::BundleMaker maker(site);
  SparkplugNode node(sparkplug_config(), site);
  EXPECT_TRUE(node.births(7, 1000).empty()) << "no births before the first step";
  EXPECT_TRUE(node.on_step(*maker.make(1, 1'700'000'000'000)).empty())
      << "the first step is for the births";
  const auto births = node.births(7, 1'700'000'000'500);
  ASSERT_EQ(births.size(), 3u);
  EXPECT_EQ(births[0].topic, "spBv1.0/dc1/NBIRTH/gw1");
  EXPECT_EQ(births[1].topic, "spBv1.0/dc1/DBIRTH/gw1/string-1");
  EXPECT_EQ(births[2].topic, "spBv1.0/dc1/DBIRTH/gw1/string-2");
  const auto nbirth = parse(births[0].payload);
  ASSERT_GE(nbirth.metrics_size(), 2);
  EXPECT_EQ(nbirth.metrics(0).name(), "bdSeq");
  EXPECT_EQ(nbirth.metrics(0).datatype(), 4u);  // Int64
  EXPECT_EQ(nbirth.metrics(0).long_value(), 7u);
  EXPECT_EQ(nbirth.metrics(1).name(), "Node Control/Rebirth");
  EXPECT_EQ(nbirth.metrics(1).datatype(), 11u);  // Boolean
  EXPECT_FALSE(nbirth.metrics(1).boolean_value());
  std::set<std::uint64_t> aliases;
  std::size_t total = 0;
  for (const auto& b : births) {
    const auto p = parse(b.payload);
    EXPECT_FALSE(p.has_seq()) << "seq is stamped when published";
    for (const auto& m : p.metrics()) {
      ++total;
      EXPECT_TRUE(m.has_name());
      EXPECT_TRUE(m.has_alias());
      EXPECT_TRUE(m.has_datatype());
      aliases.insert(m.alias());
    }
  }
  EXPECT_EQ(aliases.size(), total) << "aliases are unique across the node";
  EXPECT_EQ(total, node.metric_count() + 2);
  // String 2's batteries: voltage as Double at the channel's value, with its quality.
  std::map<std::string, Metric> by_name;
  const auto dbirth = parse(births[2].payload);
  for (const auto& m : dbirth.metrics()) by_name[m.name()] = m;
  for (int p = 1; p <= 3; ++p) {
    const auto& m = by_name.at("battery/" + std::to_string(p) + "/voltage");
    EXPECT_EQ(m.datatype(), 10u);  // Double
    EXPECT_NEAR(m.double_value(), test::BundleMaker::voltage(p, 1), 1e-9);
    EXPECT_EQ(m.timestamp(), 1'700'000'000'000u);
    EXPECT_EQ(quality_of(m), "ok");
  }
  EXPECT_NEAR(by_name.at("voltage").double_value(), 54.0, 1e-9);  // the string's own channel
  EXPECT_EQ(by_name.at("state").datatype(), 3u);                  // Int32: a state code
  EXPECT_FALSE(by_name.contains("battery/1/1/voltage"));
}

TEST(SparkplugNode, DataCarriesOnlyWhatMovedBeyondItsDeadbandOrChangedQuality) {
  const auto site = test::make_site(1, 1);
  test::BundleMaker maker(site);
  const auto config = sparkplug_config();  // deadbands: 0.01 V, 0.5 °C, 0.05 mΩ
  struct Case {
    const char* channel;
    double value;
    model::Quality quality;
    bool sent;
  };
  const double v0 = test::BundleMaker::voltage(1, 1);
  for (const auto& c : {
           Case{"battery/1/1/voltage", v0 + 0.005, model::Quality::ok, false},
           Case{"battery/1/1/voltage", v0 + 0.02, model::Quality::ok, true},
           Case{"battery/1/1/voltage", v0 - 0.02, model::Quality::ok, true},
           Case{"battery/1/1/voltage", v0, model::Quality::stale, true},
           Case{"battery/1/1/temperature", 25.4, model::Quality::ok, false},
           Case{"battery/1/1/temperature", 25.6, model::Quality::ok, true},
           Case{"battery/1/1/resistance", 4.04, model::Quality::ok, false},
           Case{"battery/1/1/resistance", 4.06, model::Quality::ok, true},
           Case{"string/1/current", 1.5, model::Quality::ok, false},
           Case{"string/1/current", 1.6, model::Quality::ok, true},  // no deadband: resolution
           Case{"string/1/voltage", 54.0, model::Quality::comm_lost, true},
       }) {
    SparkplugNode node(config, site);
    const auto first = maker.make(1, 1'000);
    node.on_step(*first);
    node.births(0, 1'000);
    const auto out = node.on_step(
        *with_plant_sample(*maker.make(1, 2'000), c.channel, {c.value, 1'900, c.quality}));
    SCOPED_TRACE(std::string(c.channel) + " " + std::to_string(c.value));
    if (!c.sent) {
      EXPECT_TRUE(out.empty());
      continue;
    }
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].topic, "spBv1.0/dc1/DDATA/gw1/string-1");
    const auto p = parse(out[0].payload);
    EXPECT_EQ(p.timestamp(), 2'000u);
    ASSERT_EQ(p.metrics_size(), 1);
    const auto& m = p.metrics(0);
    EXPECT_FALSE(m.has_name()) << "DATA goes by alias";
    EXPECT_EQ(m.timestamp(), 1'900u);
    EXPECT_NEAR(m.double_value(), c.value, 1e-9);
    EXPECT_EQ(quality_of(m), model::to_string(c.quality));
    // The alias is the one its birth gave the channel.
    SparkplugNode fresh(config, site);
    fresh.on_step(*first);
    std::string tail = c.channel;
    tail = tail.starts_with("battery/1/") ? "battery/" + tail.substr(10) : tail.substr(9);
    bool found = false;
    for (const auto& b : fresh.births(0, 1'000)) {
      const auto birth = parse(b.payload);
      for (const auto& bm : birth.metrics()) {
        if (bm.name() == tail) {
          EXPECT_EQ(bm.alias(), m.alias());
          found = true;
        }
      }
    }
    EXPECT_TRUE(found) << tail;
  }
}

TEST(SparkplugNode, StampSetsSeqAndMarksTheBacklogHistorical) {
  const auto site = test::make_site(1, 2);
  test::BundleMaker maker(site);
  SparkplugNode node(sparkplug_config(), site);
  node.on_step(*maker.make(1, 1'000));
  const auto out = node.on_step(*maker.make(2, 2'000));
  ASSERT_EQ(out.size(), 1u);
  for (const auto& [seq, historical] : {std::pair{0u, false}, {255u, true}, {17u, true}}) {
    const auto p = parse(SparkplugNode::stamped(out[0].payload, seq, historical));
    EXPECT_EQ(p.seq(), seq);
    ASSERT_EQ(p.metrics_size(), 2);
    for (const auto& m : p.metrics()) EXPECT_EQ(m.is_historical(), historical);
  }
  EXPECT_EQ(SparkplugNode::stamped("\xff\xff not protobuf", 3, true), "\xff\xff not protobuf");
}

TEST(SparkplugNode, RebirthOnlyForATrueRebirthOnTheNodesCommandTopic) {
  const auto site = test::make_site(1, 1);
  SparkplugNode node(sparkplug_config(), site);
  const auto command = [](const char* name, std::uint64_t alias, bool value) {
    Payload p;
    auto* m = p.add_metrics();
    if (name) m->set_name(name);
    m->set_alias(alias);
    m->set_datatype(11);
    m->set_boolean_value(value);
    return p.SerializeAsString();
  };
  struct Case {
    std::string topic, payload;
    bool rebirth;
  };
  const std::string ncmd = "spBv1.0/dc1/NCMD/gw1";
  for (const auto& c :
       {Case{ncmd, command("Node Control/Rebirth", 99, true), true},
        Case{ncmd, command(nullptr, kRebirthAlias, true), true},
        Case{ncmd, command("Node Control/Rebirth", 1, false), false},
        Case{ncmd, command("Node Control/Reboot", 1, true), false},
        Case{"spBv1.0/dc1/NCMD/gw2", command("Node Control/Rebirth", 1, true), false},
        Case{ncmd, "not protobuf \xff", false}}) {
    EXPECT_EQ(node.rebirth_requested(c.topic, c.payload), c.rebirth) << c.topic;
  }
}

TEST(SparkplugNode, BdSeqIsKeptAcrossRestartsAndWraps) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("bdseq-test-" + std::to_string(getpid())))
          .string();
  std::remove(path.c_str());
  EXPECT_EQ(load_next_bd_seq(path), 0u);
  save_next_bd_seq(path, 42);
  EXPECT_EQ(load_next_bd_seq(path), 42u);
  save_next_bd_seq(path, 256);
  EXPECT_EQ(load_next_bd_seq(path), 0u);
  std::remove(path.c_str());
}

TEST(SparkplugNode, DeathCarriesTheBdSeq) {
  const auto site = test::make_site(1, 1);
  SparkplugNode node(sparkplug_config(), site);
  const auto p = parse(node.death_payload(200, 5'000));
  ASSERT_EQ(p.metrics_size(), 1);
  EXPECT_EQ(p.metrics(0).name(), "bdSeq");
  EXPECT_EQ(p.metrics(0).long_value(), 200u);
  EXPECT_FALSE(p.has_seq());
}

TEST(SparkplugNode, FormatIsChosenInTheCloudTableOrOnTheCommandLine) {
  CloudConfig config;
  EXPECT_TRUE(
      read_cloud_table("[cloud]\nbroker = \"mqtt://h\"\nformat = \"sparkplug\"\n", "s", config)
          .empty());
  EXPECT_EQ(config.format, PayloadFormat::sparkplug);
  CloudConfig bad;
  const auto problems =
      read_cloud_table("[cloud]\nbroker = \"mqtt://h\"\nformat = \"xml\"\n", "s", bad);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "cloud.format");
  EXPECT_EQ(problems[0].line, 3);
  CloudConfig ha;
  EXPECT_EQ(read_cloud_table(
                "[cloud]\nbroker = \"mqtt://h\"\nformat = \"sparkplug\"\nhome_assistant = true\n",
                "s", ha)
                .size(),
            1u)
      << "Home Assistant reads the JSON tree";
  std::vector<std::string> errors;
  const auto cli = load_cloud_config("", "s", "mqtt://127.0.0.1:1883", &errors, "sparkplug");
  ASSERT_TRUE(cli) << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(cli->format, PayloadFormat::sparkplug);
  EXPECT_FALSE(load_cloud_config("", "s", "mqtt://127.0.0.1:1883", &errors, "protobuf"));
}

}  // namespace
}  // namespace btms::cloud
