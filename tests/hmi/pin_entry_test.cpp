// Acknowledging with a PIN at the display: the throttle of wrong PINs step by step (a table),
// and the PIN prompt as navigation and as the help line's text.
#include <gtest/gtest.h>

#include <string>

#include "hmi/navigation.hpp"
#include "hmi/pin_throttle.hpp"
#include "hmi/screen_layout.hpp"
#include "site_fixture.hpp"

namespace btms::hmi {
namespace {

using nlohmann::json;

TEST(PinThrottleTest, FreeAttemptsThenDoublingLockoutsUpToTheMaximum) {
  PinThrottle throttle;
  // Each row: a wrong PIN at t_ms; then the wait at once, the tries left.
  const struct {
    std::int64_t t_ms;
    std::int64_t wait_after_ms;
    int left;
  } steps[] = {
      {0, 0, 2},                // 1st wrong: free
      {1'000, 0, 1},            // 2nd: free
      {2'000, 30'000, 0},       // 3rd: 30 s
      {32'000, 60'000, 0},      // 4th, right when allowed again: 60 s
      {92'000, 120'000, 0},     // 5th: 120 s
      {212'000, 240'000, 0},    // 6th: 240 s
      {452'000, 480'000, 0},    // 7th: 480 s
      {932'000, 900'000, 0},    // 8th: capped at 15 min
      {1'832'000, 900'000, 0},  // 9th: still 15 min
  };
  for (const auto& s : steps) {
    ASSERT_EQ(throttle.wait_ms(s.t_ms), 0) << "at " << s.t_ms;
    throttle.wrong(s.t_ms);
    EXPECT_EQ(throttle.wait_ms(s.t_ms), s.wait_after_ms) << "after the wrong PIN at " << s.t_ms;
    EXPECT_EQ(throttle.free_attempts_left(), s.left) << "at " << s.t_ms;
    // The lockout counts down and ends exactly at its end.
    if (s.wait_after_ms > 0) {
      EXPECT_EQ(throttle.wait_ms(s.t_ms + s.wait_after_ms - 1), 1);
      EXPECT_EQ(throttle.wait_ms(s.t_ms + s.wait_after_ms), 0);
    }
  }
  throttle.right();
  EXPECT_EQ(throttle.failures(), 0);
  EXPECT_EQ(throttle.wait_ms(1'832'001), 0) << "a right PIN ends the lockout count";
  EXPECT_EQ(throttle.free_attempts_left(), PinThrottle::kFreeAttempts);
  throttle.wrong(2'000'000);
  EXPECT_EQ(throttle.wait_ms(2'000'000), 0) << "and gives the free attempts back";
}

class PinEntry : public ::testing::Test {
 protected:
  void SetUp() override {
    site = test::connected_site(1, 4);
    site.apply_alarms(json{{"alarms", json::array({test::alarm("battery/1/2", "alarm", "a")})}});
    nav.pin_required = true;
    follow_alarms(nav, site);
    ASSERT_EQ(nav.screen, Screen::alarms);
  }
  Command key(Key k) { return handle_key(nav, k, site, 80, 24); }
  std::string help_line() {
    return render(site, nav, RenderInput{80, 24, "", 0, 0}).grid.row_text(23);
  }
  SiteView site;
  Nav nav;
};

TEST_F(PinEntry, AcknowledgeAsksForThePinAndSendsItWithTheAlarm) {
  EXPECT_EQ(key(Key::enter).kind, Command::Kind::none) << "nothing is sent before the PIN";
  ASSERT_TRUE(nav.entering_pin);
  EXPECT_EQ(help_line(), " PIN to acknowledge battery/1/2: _   Enter confirm  Esc cancel");
  for (const char32_t ch : std::u32string(U"12a3 4")) type_character(nav, ch);  // digits only
  EXPECT_EQ(help_line(), " PIN to acknowledge battery/1/2: ****_   Enter confirm  Esc cancel");
  EXPECT_EQ(help_line().find("1234"), std::string::npos) << "the PIN is never shown";
  key(Key::backspace);
  type_character(nav, U'9');
  // While typing, keys that would act elsewhere do nothing.
  EXPECT_EQ(key(Key::quit).kind, Command::Kind::none);
  EXPECT_EQ(key(Key::acknowledge_all).kind, Command::Kind::none);
  const auto command = key(Key::enter);
  EXPECT_FALSE(nav.entering_pin);
  EXPECT_EQ(command.kind, Command::Kind::acknowledge);
  EXPECT_EQ(command.key, "battery/1/2:rule");
  EXPECT_EQ(command.pin, "1239");
  EXPECT_TRUE(nav.pin_digits.empty()) << "the PIN is not kept after it was sent";
}

TEST_F(PinEntry, AcknowledgeAllAsksTooAndEscDropsIt) {
  EXPECT_EQ(key(Key::acknowledge_all).kind, Command::Kind::none);
  ASSERT_TRUE(nav.entering_pin);
  EXPECT_EQ(help_line(), " PIN to acknowledge all alarms: _   Enter confirm  Esc cancel");
  EXPECT_EQ(key(Key::enter).kind, Command::Kind::none) << "no PIN typed: nothing sent";
  type_character(nav, U'5');
  key(Key::escape);
  EXPECT_FALSE(nav.entering_pin);
  EXPECT_TRUE(nav.pin_digits.empty());
  EXPECT_EQ(nav.screen, Screen::alarms) << "Esc leaves the PIN, not the alarm screen";
}

TEST_F(PinEntry, PinLengthIsCappedAndWithoutAPinNothingIsAsked) {
  key(Key::enter);
  for (int i = 0; i < 20; ++i) type_character(nav, U'7');
  EXPECT_EQ(nav.pin_digits.size(), kMaxPinDigits);
  key(Key::escape);
  nav.pin_required = false;
  const auto command = key(Key::enter);
  EXPECT_EQ(command.kind, Command::Kind::acknowledge);
  EXPECT_TRUE(command.pin.empty());
  EXPECT_FALSE(nav.entering_pin);
}

}  // namespace
}  // namespace btms::hmi
