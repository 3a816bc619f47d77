// The display's screens as text: paging of UPS tiles, the UPS, string and battery screens, the
// alarm take-over and the link banner, at 80x24 and 132x43.
#include "hmi/screen_layout.hpp"

#include <gtest/gtest.h>

#include <string>

#include "hmi/navigation.hpp"
#include "site_fixture.hpp"

namespace btms::hmi {
namespace {

using nlohmann::json;

RenderInput size(int w, int h) {
  RenderInput in;
  in.width = w;
  in.height = h;
  in.clock_text = "12:00:00";
  in.gateway_now_ms = 1'001'000;
  in.local_now_ms = 5'000'000;
  return in;
}

std::string screen(const SiteView& site, const Nav& nav, int w = 80, int h = 24) {
  return render(site, nav, size(w, h)).grid.text();
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CharGrid, ClipsAndKeepsUtf8AndMasksControlCharacters) {
  CharGrid g(10, 2);
  EXPECT_EQ(g.put(8, 0, "abcdef"), 10);
  EXPECT_EQ(g.row_text(0), "        ab");
  g.put(0, 1, "mΩ°C\x1b[2J");
  EXPECT_EQ(g.row_text(1), "mΩ°C?[2J");
  EXPECT_EQ(decode_utf8("\xff").size(), 1u);
  EXPECT_EQ(decode_utf8("\xe2\x82").size(), 1u);  // cut-off sequence
}

TEST(Sparkline, ScalesBetweenMinAndMaxAndKeepsTheNewest) {
  EXPECT_EQ(sparkline({1.0, 2.0, 3.0}, 10), "▁▅█");
  EXPECT_EQ(sparkline({5.0, 5.0}, 10), "▄▄");
  EXPECT_EQ(sparkline({9.0, 1.0, 2.0}, 2), "▁█");
  EXPECT_EQ(sparkline({}, 10), "");
}

TEST(TilesScreen, SixteenUpsesPagedByEightWithFirstPrevNextLast) {
  const auto site = test::connected_site(16, 4);
  Nav nav;
  auto text = screen(site, nav);
  EXPECT_TRUE(has(text, "Page 1/2   UPS 1-8 of 16")) << text;
  EXPECT_TRUE(has(text, " UPS 1 ")) << text;
  EXPECT_TRUE(has(text, " UPS 8 ")) << text;
  EXPECT_FALSE(has(text, " UPS 9 ")) << text;
  EXPECT_TRUE(has(text, "Hall 1")) << text;
  EXPECT_TRUE(has(text, "541.0 V  -2.5 A")) << text;

  struct Step {
    Key key;
    int tile;
    const char* page;
  };
  const Step steps[] = {
      {Key::page_down, 8, "Page 2/2   UPS 9-16 of 16"},
      {Key::page_down, 8, "Page 2/2"},
      {Key::page_up, 0, "Page 1/2"},
      {Key::end, 8, "Page 2/2"},
      {Key::home, 0, "Page 1/2"},
      {Key::right, 1, "Page 1/2"},
      {Key::down, 5, "Page 1/2"},
      {Key::down, 9, "Page 2/2"},
      {Key::left, 8, "Page 2/2"},
      {Key::up, 4, "Page 1/2"},
  };
  for (const auto& step : steps) {
    handle_key(nav, step.key, site, 80, 24);
    EXPECT_EQ(nav.tile, step.tile);
    text = screen(site, nav);
    EXPECT_TRUE(has(text, step.page)) << text;
  }
  handle_key(nav, Key::end, site, 80, 24);
  text = screen(site, nav);
  EXPECT_TRUE(has(text, " UPS 16 ")) << text;
  EXPECT_FALSE(has(text, " UPS 1 ")) << text;
}

TEST(TilesScreen, SameContentAt132x43) {
  const auto site = test::connected_site(16, 4);
  const auto frame = render(site, Nav{}, size(132, 43));
  EXPECT_EQ(frame.grid.width(), 132);
  EXPECT_EQ(frame.grid.height(), 43);
  const auto text = frame.grid.text();
  EXPECT_TRUE(has(text, "Page 1/2   UPS 1-8 of 16")) << text;
  EXPECT_EQ(frame.hotspots.size(), 8u);
  EXPECT_TRUE(has(frame.grid.row_text(42), "r rename"));
}

TEST(UpsScreen, ListsItsStringsAndEntersOne) {
  const auto site = test::connected_site(16, 4);
  Nav nav;
  handle_key(nav, Key::page_down, site, 80, 24);
  handle_key(nav, Key::enter, site, 80, 24);
  ASSERT_EQ(nav.screen, Screen::ups);
  EXPECT_EQ(nav.ups_id, 9);
  auto text = screen(site, nav);
  EXPECT_TRUE(has(text, "UPS 9 Hall 9")) << text;
  EXPECT_TRUE(has(text, "17  Str17")) << text;
  EXPECT_TRUE(has(text, "18  Str18")) << text;
  EXPECT_TRUE(has(text, "float")) << text;
  handle_key(nav, Key::down, site, 80, 24);
  handle_key(nav, Key::enter, site, 80, 24);
  ASSERT_EQ(nav.screen, Screen::string);
  EXPECT_EQ(nav.string_id, 18);
  handle_key(nav, Key::escape, site, 80, 24);
  EXPECT_EQ(nav.screen, Screen::ups);
  handle_key(nav, Key::escape, site, 80, 24);
  EXPECT_EQ(nav.screen, Screen::tiles);
}

TEST(StringScreen, BatteriesPagedByTheTerminalSize) {
  const auto site = test::connected_site(1, 120);
  EXPECT_EQ(batteries_per_page(80, 24), 34);    // 17 rows x 2 columns
  EXPECT_EQ(batteries_per_page(132, 43), 108);  // 36 rows x 3 columns
  Nav nav;
  nav.screen = Screen::string;
  nav.ups_id = 1;
  nav.string_id = 1;
  auto text = screen(site, nav);
  EXPECT_TRUE(has(text, "Page 1/4  batteries 1-34 of 120")) << text;
  EXPECT_TRUE(has(text, "  1  13.501  25.1  3.500   90   95")) << text;
  EXPECT_TRUE(has(text, " 34  13.534  25.1  3.500   90   95")) << text;
  EXPECT_FALSE(has(text, " 35  13.535")) << text;
  handle_key(nav, Key::end, site, 80, 24);
  text = screen(site, nav);
  EXPECT_TRUE(has(text, "Page 4/4  batteries 103-120 of 120")) << text;
  handle_key(nav, Key::page_up, site, 80, 24);
  EXPECT_EQ(nav.battery, 68);
  text = screen(site, nav, 132, 43);
  EXPECT_TRUE(has(text, "Page 1/2  batteries 1-108 of 120")) << text;
}

TEST(BatteryScreen, ValuesBaselineSohAndTrend) {
  auto site = test::connected_site(1, 4);
  for (int k = 0; k < 5; ++k) {
    site.apply_channels(json{{"battery/1/2/voltage", test::sample(13.5 + k * 0.01)}});
  }
  Nav nav;
  nav.screen = Screen::battery;
  nav.ups_id = 1;
  nav.string_id = 1;
  nav.battery = 1;
  const auto text = screen(site, nav);
  EXPECT_TRUE(has(text, "Battery 1/2  in String 1 Str1")) << text;
  EXPECT_TRUE(has(text, "Voltage           13.540 V   ok, 1 s old")) << text;
  EXPECT_TRUE(has(text, "Baseline      3.000 mΩ (+16.7 %)")) << text;
  EXPECT_TRUE(has(text, "SOH                   95 %")) << text;
  // 13.502 from the fixture, then 13.50 .. 13.54.
  EXPECT_TRUE(has(text, "Trend (voltage) ▁▁▃▅▆█ 13.500..13.540 V")) << text;
  handle_key(nav, Key::right, site, 80, 24);
  EXPECT_TRUE(has(screen(site, nav), "Battery 1/3")) << screen(site, nav);
}

TEST(AlarmScreen, ATripTakesOverWithARedBannerNamingBatteryAndValue) {
  auto site = test::connected_site(16, 4);
  Nav nav;
  nav.screen = Screen::ups;
  nav.ups_id = 3;
  EXPECT_FALSE(follow_alarms(nav, site));
  site.apply_alarms(json{
      {"alarms", json::array({test::alarm("battery/5/3", "trip",
                                          "Battery 5/3 temperature high: 47.1 °C > 45.0 °C")})}});
  EXPECT_TRUE(follow_alarms(nav, site));
  EXPECT_EQ(nav.screen, Screen::alarms);
  const auto frame = render(site, nav, size(80, 24));
  EXPECT_EQ(frame.grid.row_text(1),
            " TRIP battery/5/3: Battery 5/3 temperature high: 47.1 °C > 45.0 °C");
  EXPECT_EQ(frame.grid.at(0, 1).style, Style::banner);
  EXPECT_TRUE(has(frame.grid.text(), "trip    battery/5/3   NO")) << frame.grid.text();
  // Seen once: leaving the screen is not undone by the same alarm.
  handle_key(nav, Key::escape, site, 80, 24);
  EXPECT_EQ(nav.screen, Screen::ups);
  EXPECT_FALSE(follow_alarms(nav, site));
  // The UPS tile of that string shows the alarm.
  nav.screen = Screen::tiles;
  EXPECT_TRUE(has(screen(site, nav), "ALARMS 1")) << screen(site, nav);
}

TEST(AlarmScreen, WarningsDoNotTakeOverAndAcknowledgeNeedsAnUnacknowledgedAlarm) {
  auto site = test::connected_site(1, 4);
  Nav nav;
  site.apply_alarms(
      json{{"alarms", json::array({test::alarm("string/1", "warning", "w"),
                                   test::alarm("battery/1/2", "alarm", "a", true)})}});
  EXPECT_FALSE(follow_alarms(nav, site));
  handle_key(nav, Key::alarms, site, 80, 24);
  ASSERT_EQ(nav.screen, Screen::alarms);
  auto cmd = handle_key(nav, Key::enter, site, 80, 24);
  EXPECT_EQ(cmd.kind, Command::Kind::acknowledge);
  EXPECT_EQ(cmd.key, "string/1:rule");
  handle_key(nav, Key::down, site, 80, 24);
  cmd = handle_key(nav, Key::enter, site, 80, 24);
  EXPECT_EQ(cmd.kind, Command::Kind::none);  // already acknowledged
  cmd = handle_key(nav, Key::acknowledge_all, site, 80, 24);
  EXPECT_EQ(cmd.kind, Command::Kind::acknowledge);
  EXPECT_TRUE(cmd.key.empty());
  EXPECT_TRUE(cmd.source.empty());
  EXPECT_EQ(handle_key(nav, Key::quit, site, 80, 24).kind, Command::Kind::quit);
}

TEST(LinkBanner, ConnectingShowsTheAddressThenWhyTheLastAttemptFailed) {
  auto site = test::connected_site(1, 4);
  site.gateway_name = "10.0.0.5:8443";
  site.link.state = LinkState::connecting;
  Nav nav;
  const struct {
    const char* detail;
    const char* row;
  } rows[] = {
      {"10.0.0.5:8443", " CONNECTING to the gateway 10.0.0.5:8443"},
      {"connection refused", " CONNECTING to the gateway 10.0.0.5:8443: connection refused"},
  };
  for (const auto& r : rows) {
    site.link.detail = r.detail;
    EXPECT_EQ(render(site, nav, size(80, 24)).grid.row_text(1), r.row) << r.detail;
  }
}

TEST(LinkBanner, LostLinkGreysValuesAndSaysSince) {
  auto site = test::connected_site(1, 4);
  site.link.state = LinkState::lost;
  site.link.detail = "connection refused";
  site.link.lost_since_ms = 4'988'000;
  Nav nav;
  const auto frame = render(site, nav, size(80, 24));
  EXPECT_EQ(frame.grid.row_text(1),
            " LINK LOST for 12 s: connection refused - last values shown greyed, reconnecting");
  EXPECT_TRUE(has(frame.grid.row_text(22), "○ link down"));
  // The tile's voltage is still shown, dim.
  bool dim_voltage = false;
  for (int y = 2; y < 22; ++y) {
    const auto row = frame.grid.row_text(y);
    const auto at = row.find("541.0 V");
    if (at != std::string::npos)
      dim_voltage =
          frame.grid.at(static_cast<int>(decode_utf8(row.substr(0, at)).size()), y).style ==
          Style::dim;
  }
  EXPECT_TRUE(dim_voltage);
}

TEST(Values, OldOrStaleValuesAreDim) {
  auto site = test::connected_site(1, 2);
  site.apply_channels(json{{"battery/1/1/voltage", test::sample(13.1, "stale")}});
  Nav nav;
  nav.screen = Screen::string;
  nav.ups_id = 1;
  nav.string_id = 1;
  nav.battery = 1;  // select battery 2 so battery 1's row shows its own style
  auto in = size(80, 24);
  auto frame = render(site, nav, in);
  EXPECT_EQ(frame.grid.at(5, 4).style, Style::dim) << frame.grid.text();
  in.gateway_now_ms = 1'000'000 + kOldValue_ms + 1;
  nav.battery = 0;
  frame = render(site, nav, in);
  EXPECT_EQ(frame.grid.at(5, 5).style, Style::dim) << frame.grid.text();  // fresh but old
}

TEST(Clicks, ATileClickOpensTheUps) {
  const auto site = test::connected_site(16, 4);
  Nav nav;
  const auto frame = render(site, nav, size(80, 24));
  ASSERT_EQ(frame.hotspots.size(), 8u);
  handle_click(nav, frame.hotspots[6], site, 80, 24);
  EXPECT_EQ(nav.screen, Screen::ups);
  EXPECT_EQ(nav.ups_id, 7);
}

TEST(SiteView, RefusesAWrongDocumentAndIgnoresUnknownChannels) {
  SiteView site;
  EXPECT_THROW(site.apply_topology(json{{"x", 1}}), std::invalid_argument);
  site.apply_topology(test::topology(1, 2));
  site.apply_channels(
      json{{"battery/9/9/voltage", test::sample(1)},
           {"battery/1/3/voltage", test::sample(1)},
           {"battery/1/1/voltage", json{{"value", nullptr}, {"quality", "comm_lost"}}}});
  EXPECT_FALSE(site.find_battery(1, 1)->voltage.known());
  EXPECT_EQ(site.find_battery(1, 1)->voltage.quality, "comm_lost");
  EXPECT_EQ(site.find_battery(1, 3), nullptr);
}

}  // namespace
}  // namespace btms::hmi

namespace btms::hmi {
namespace {

TEST(Rename, TypesANameForTheSelectedUpsOrStringAndSavesOnEnter) {
  auto site = test::connected_site(2, 2);
  Nav nav;
  handle_key(nav, Key::right, site, 80, 24);  // UPS 2
  handle_key(nav, Key::rename, site, 80, 24);
  ASSERT_TRUE(nav.editing);
  EXPECT_EQ(nav.edit_target, "ups/2");
  EXPECT_EQ(encode_utf8(nav.edit_text), "Hall 2");
  for (int k = 0; k < 6; ++k) handle_key(nav, Key::backspace, site, 80, 24);
  for (const char32_t ch : std::u32string(U"Sál B\x1b")) type_character(nav, ch);
  // While naming, 'q' is a letter, not quit.
  type_character(nav, U'q');
  EXPECT_EQ(handle_key(nav, Key::quit, site, 80, 24).kind, Command::Kind::none);
  const auto text = render(site, nav, RenderInput{80, 24, "", 0, 0}).grid.row_text(23);
  EXPECT_EQ(text, " Name of ups/2: Sál Bq_   Enter save  Esc cancel");
  const auto command = handle_key(nav, Key::enter, site, 80, 24);
  EXPECT_FALSE(nav.editing);
  EXPECT_EQ(command.kind, Command::Kind::rename);
  EXPECT_EQ(command.target, "ups/2");
  EXPECT_EQ(command.name, "Sál Bq");

  handle_key(nav, Key::enter, site, 80, 24);  // UPS 2's screen
  handle_key(nav, Key::down, site, 80, 24);   // string 4
  handle_key(nav, Key::rename, site, 80, 24);
  EXPECT_EQ(nav.edit_target, "string/4");
  handle_key(nav, Key::escape, site, 80, 24);
  EXPECT_FALSE(nav.editing);
  EXPECT_EQ(nav.screen, Screen::ups);                      // Esc only cancelled the naming
  for (int k = 0; k < 50; ++k) type_character(nav, U'x');  // not editing: ignored
  EXPECT_TRUE(nav.edit_text.empty() || !nav.editing);
}

}  // namespace
}  // namespace btms::hmi

namespace btms::hmi {
namespace {

// btms hmi --config: the same screens, read-only, the link being the field buses.
TEST(Standalone, StatusSaysReadOnlyAndActionKeysDoNothing) {
  auto site = test::connected_site(2, 2);
  site.standalone = true;
  site.gateway_name = "cab";
  Nav nav;
  auto frame = render(site, nav, size(80, 24));
  EXPECT_TRUE(has(frame.grid.row_text(22), "● bus ok │ standalone: read-only │ bus cab"))
      << frame.grid.row_text(22);
  EXPECT_FALSE(has(frame.grid.row_text(23), "rename")) << frame.grid.row_text(23);
  EXPECT_TRUE(has(frame.grid.row_text(23), "q quit")) << frame.grid.row_text(23);
  for (const auto key : {Key::rename, Key::acknowledge, Key::acknowledge_all}) {
    EXPECT_EQ(handle_key(nav, key, site, 80, 24).kind, Command::Kind::none);
    EXPECT_FALSE(nav.editing);
    EXPECT_FALSE(nav.entering_pin);
  }
  site.link.state = LinkState::lost;
  site.link.detail = "no field device answers on cab";
  site.link.lost_since_ms = size(80, 24).local_now_ms - 65'000;
  frame = render(site, nav, size(80, 24));
  EXPECT_TRUE(has(frame.grid.row_text(1), "BUS DOWN for 65 s")) << frame.grid.row_text(1);
  EXPECT_TRUE(has(frame.grid.row_text(1), "no field device answers on cab"));
  EXPECT_TRUE(has(frame.grid.row_text(22), "○ bus down")) << frame.grid.row_text(22);
}

}  // namespace
}  // namespace btms::hmi
