#include "aggregator/site_attention.hpp"

#include <gtest/gtest.h>

namespace btms::aggregator {
namespace {

using nlohmann::json;

json row(const std::string& battery, const std::string& recommendation) {
  return json{{"battery", battery}, {"recommendation", recommendation}, {"reasons", {"r"}}};
}

std::string answer(json rows, json counts) {
  return json{{"time_ms", 1}, {"history", true}, {"counts", counts}, {"batteries", rows}}.dump();
}

TEST(SiteAttention, MergesWorstFirstKeepingEachGatewaysOrderAndSkipsOk) {
  const std::vector<GatewayAttentionAnswer> answers{
      {"gw1", 200,
       answer(json::array({row("battery/1/4", "plan_replacement"), row("battery/1/2", "watch"),
                           row("battery/1/1", "ok")}),
              json{{"plan_replacement", 1}, {"watch", 1}, {"ok", 1}})},
      {"gw2", 200,
       answer(json::array({row("battery/2/9", "replace_now"), row("battery/1/7", "watch")}),
              json{{"replace_now", 1}, {"watch", 1}, {"ok", 0}})},
  };
  const auto m = merge_site_attention(answers, 42);
  EXPECT_EQ(m["time_ms"], 42);
  std::vector<std::string> order;
  for (const auto& b : m["batteries"]) order.push_back(b["battery"]);
  EXPECT_EQ(order, (std::vector<std::string>{"gw2/battery/2/9", "gw1/battery/1/4",
                                             "gw1/battery/1/2", "gw2/battery/1/7"}));
  EXPECT_EQ(m["batteries"][0]["gateway"], "gw2");
  EXPECT_EQ(m["batteries"][0]["reasons"], json({"r"}));
  EXPECT_EQ(m["counts"]["watch"], 2);
  EXPECT_EQ(m["counts"]["replace_now"], 1);
  EXPECT_EQ(m["counts"]["ok"], 1);
  ASSERT_EQ(m["gateways"].size(), 2U);
  EXPECT_EQ(m["gateways"][1]["ok"], true);
}

TEST(SiteAttention, AGatewayThatDidNotAnswerIsListedWithItsError) {
  struct Case {
    int status;
    std::string body;
    std::string error;
  };
  const Case cases[] = {
      {0, "", "offline"},
      {502, R"({"error":"gateway gw2: timeout"})", "HTTP 502: gateway gw2: timeout"},
      {404, "not json", "HTTP 404"},
      {200, R"({"batteries":[]})", "not an attention answer"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    const std::vector<GatewayAttentionAnswer> answers{
        {"gw1", 200, answer(json::array({row("battery/1/1", "watch")}), json{{"watch", 1}})},
        {"gw2", c.status, c.body}};
    const auto m = merge_site_attention(answers, 1);
    ASSERT_EQ(m["gateways"].size(), 2U);
    EXPECT_EQ(m["gateways"][1]["ok"], false);
    EXPECT_EQ(m["gateways"][1]["error"], c.error);
    EXPECT_EQ(m["batteries"].size(), 1U);
    EXPECT_EQ(m["counts"]["watch"], 1);
  }
}

TEST(SiteAttention, AnUnknownLevelGoesAfterTheKnownOnesNotAway) {
  const std::vector<GatewayAttentionAnswer> answers{
      {"gw1", 200,
       answer(json::array({row("battery/1/1", "recheck_later"), row("battery/1/2", "watch")}),
              json{{"watch", 1}})}};
  const auto m = merge_site_attention(answers, 1);
  ASSERT_EQ(m["batteries"].size(), 2U);
  EXPECT_EQ(m["batteries"][0]["battery"], "gw1/battery/1/2");
  EXPECT_EQ(m["batteries"][1]["battery"], "gw1/battery/1/1");
}

}  // namespace
}  // namespace btms::aggregator
