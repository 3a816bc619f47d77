#include "model/ids.hpp"

#include <gtest/gtest.h>

namespace btms::model {
namespace {

TEST(Ids, Names) {
  EXPECT_EQ(ups_id(2), "ups/2");
  EXPECT_EQ(string_id(3), "string/3");
  EXPECT_EQ(battery_id(3, 17), "battery/3/17");
  EXPECT_EQ(ambient_id(4), "ambient/4");
  EXPECT_EQ(channel_name(battery_id(3, 17), "voltage"), "battery/3/17/voltage");
}

TEST(Ids, ParseBatteryIdRoundTrips) {
  for (int s : {1, 7, 32}) {
    for (int p : {1, 40, 120}) {
      const auto parsed = parse_battery_id(battery_id(s, p));
      ASSERT_TRUE(parsed.has_value()) << s << "/" << p;
      EXPECT_EQ(parsed->string, s);
      EXPECT_EQ(parsed->position, p);
    }
  }
}

TEST(Ids, ParseBatteryIdRejectsBadInput) {
  for (const char* bad :
       {"", "battery/", "battery/3", "battery/3/", "battery//17", "battery/0/1", "battery/1/0",
        "battery/33/1", "battery/1/121", "battery/03/1", "battery/3/17/voltage", "battery/-3/1",
        "battery/3/x", "Battery/3/17", "string/3", "battery/3/17 ", "battery/99999999999/1"}) {
    EXPECT_FALSE(parse_battery_id(bad).has_value()) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace btms::model
