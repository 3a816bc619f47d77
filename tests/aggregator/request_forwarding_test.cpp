#include "aggregator/request_forwarding.hpp"

#include <gtest/gtest.h>

namespace btms::aggregator {
namespace {

using nlohmann::json;

TEST(RequestForwarding, GatewayPathsMapOntoTheGatewaysApi) {
  struct Case {
    const char* method;
    const char* target;
    const char* gateway;         // "" = refused
    const char* gateway_target;  // or the refusal's status as text
    bool operator_;
  };
  const Case cases[] = {
      {"GET", "/api/v1/gateways/gw2/history?channel=string/1/voltage&points=60", "gw2",
       "/api/v1/history?channel=string/1/voltage&points=60", false},
      {"GET", "/api/v1/gateways/gw2/history.csv?channel=x", "gw2", "/api/v1/history.csv?channel=x",
       false},
      {"GET", "/api/v1/gateways/gw2/events", "gw2", "/api/v1/events", false},
      {"GET", "/api/v1/gateways/gw2/discharges?string=3", "gw2", "/api/v1/discharges?string=3",
       false},
      {"GET", "/api/v1/gateways/gw2/discharges/17", "gw2", "/api/v1/discharges/17", false},
      {"GET", "/api/v1/gateways/gw2/live?prefix=battery/3/", "gw2",
       "/api/v1/live?prefix=battery/3/", false},
      {"GET", "/api/v1/gateways/gw2/topology", "gw2", "/api/v1/topology", false},
      {"GET", "/api/v1/gateways/gw2/attention?string=3&days=30", "gw2",
       "/api/v1/attention?string=3&days=30", false},
      {"GET", "/api/v1/gateways/gw2/maintenance?string=3", "gw2", "/api/v1/maintenance?string=3",
       false},
      {"GET", "/api/v1/gateways/gw2/names", "gw2", "/api/v1/names", false},
      {"POST", "/api/v1/gateways/gw2/strings/3/reset", "gw2", "/api/v1/strings/3/reset", true},
      {"POST", "/api/v1/gateways/gw2/strings/3/baseline-reset", "gw2",
       "/api/v1/strings/3/baseline-reset", true},
      {"POST", "/api/v1/gateways/gw2/alarms/acknowledge", "gw2", "/api/v1/alarms/acknowledge",
       true},
      // never forwarded: the gateway's users, audit trail, settings writes
      {"GET", "/api/v1/gateways/gw2/users", "", "404", false},
      {"GET", "/api/v1/gateways/gw2/audit", "", "404", false},
      {"PUT", "/api/v1/gateways/gw2/config", "", "405", false},
      {"POST", "/api/v1/gateways/gw2/history", "", "405", false},
      {"POST", "/api/v1/gateways/gw2/maintenance", "", "405", false},
      {"GET", "/api/v1/gateways/gw2/strings/3/reset", "", "405", false},
      {"POST", "/api/v1/gateways/gw2/strings/x/reset", "", "404", false},
      {"GET", "/api/v1/gateways/GW2/live", "", "404", false},
      {"GET", "/api/v1/gateways/gw2", "", "404", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.target);
    const auto r = forward_for_gateway_path(c.method, c.target, "{\"reason\":\"x\"}", "token:ops");
    if (std::string(c.gateway).empty()) {
      EXPECT_FALSE(r.forward.has_value());
      EXPECT_FALSE(r.error.empty());
      EXPECT_EQ(std::to_string(r.status), c.gateway_target);
    } else {
      ASSERT_TRUE(r.forward.has_value()) << r.error;
      EXPECT_EQ(r.forward->gateway, c.gateway);
      EXPECT_EQ(r.forward->target, c.gateway_target);
      EXPECT_EQ(r.forward->needs_operator, c.operator_);
    }
  }
  EXPECT_FALSE(forward_for_gateway_path("GET", "/api/v1/alarms", "", "").forward.has_value());
  EXPECT_TRUE(forward_for_gateway_path("GET", "/api/v1/alarms", "", "").error.empty());
}

TEST(RequestForwarding, ForwardedActionsSayWhoActedThroughTheAggregator) {
  const auto reset = forward_for_gateway_path("POST", "/api/v1/gateways/gw1/strings/2/reset",
                                              R"({"reason":"cell replaced"})", "token:ops");
  ASSERT_TRUE(reset.forward);
  EXPECT_EQ(json::parse(reset.forward->body)["reason"],
            "cell replaced (via aggregator, token:ops)");
  const auto bad =
      forward_for_gateway_path("POST", "/api/v1/gateways/gw1/strings/2/reset", "[1]", "token:ops");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(forwarded_comment("", ""), "(via aggregator, anonymous)");
  EXPECT_EQ(forwarded_comment(std::string(600, 'x'), "u").size(), 500U);
}

TEST(RequestForwarding, SiteAcknowledgementsGoToTheOwningGateway) {
  const std::vector<std::string> all{"gw1", "gw2", "gw3"};
  auto plan =
      plan_site_acknowledge(R"({"key":"gw2/battery/1/7:battery_voltage_high"})", "token:ops", all);
  ASSERT_EQ(plan.forwards.size(), 1U) << plan.error;
  EXPECT_EQ(plan.forwards[0].gateway, "gw2");
  EXPECT_EQ(plan.forwards[0].target, "/api/v1/alarms/acknowledge");
  const auto body = json::parse(plan.forwards[0].body);
  EXPECT_EQ(body["key"], "battery/1/7:battery_voltage_high");
  EXPECT_EQ(body["comment"], "(via aggregator, token:ops)");
  EXPECT_FALSE(body.contains("source"));

  plan = plan_site_acknowledge(R"({"source":"gw3/string/2","comment":"seen"})", "u", all);
  ASSERT_EQ(plan.forwards.size(), 1U);
  EXPECT_EQ(plan.forwards[0].gateway, "gw3");
  EXPECT_EQ(json::parse(plan.forwards[0].body)["source"], "string/2");
  EXPECT_EQ(json::parse(plan.forwards[0].body)["comment"], "seen (via aggregator, u)");

  plan = plan_site_acknowledge(R"({"source":"gw1"})", "u", all);
  ASSERT_EQ(plan.forwards.size(), 1U);
  EXPECT_EQ(json::parse(plan.forwards[0].body)["source"], "");

  plan = plan_site_acknowledge(R"({"source":""})", "u", all);
  ASSERT_EQ(plan.forwards.size(), 3U);
  EXPECT_EQ(plan.forwards[2].gateway, "gw3");

  const char* bad[] = {R"([])",
                       R"({})",
                       R"({"key":"a/b","source":"a"})",
                       R"({"key":"nokey"})",
                       R"({"key":"gw1/"})",
                       R"({"key":3})",
                       R"({"key":"a/b","user":"x"})"};
  for (const auto* b : bad) {
    EXPECT_FALSE(plan_site_acknowledge(b, "u", all).error.empty()) << b;
    EXPECT_TRUE(plan_site_acknowledge(b, "u", all).forwards.empty()) << b;
  }
}

}  // namespace
}  // namespace btms::aggregator
