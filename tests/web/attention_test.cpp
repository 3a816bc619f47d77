// Which battery needs attention: the judgement rules one by one (table-driven, each limit on
// both sides), the ranking, the trend slope, and GET /api/v1/attention over a real SQLite
// history with batteries that age, step, run hot or lead the discharges.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "history/history_store.hpp"
#include "history/maintenance_log.hpp"
#include "web/attention_handlers.hpp"
#include "web/battery_attention.hpp"
#include "web/router.hpp"

namespace btms::web {
namespace {

using nlohmann::json;

BatteryCondition healthy() {
  BatteryCondition b;
  b.voltage_V = 13.5;
  b.temperature_C = 24.0;
  b.resistance_mOhm = 4.0;
  b.baseline_mOhm = 4.0;
  b.soh_pct = 98.0;
  b.ambient_C = 23.0;
  return b;
}

struct RuleCase {
  const char* name;
  void (*change)(BatteryCondition&);
  Recommendation expected;
  const char* reason_contains;  // "" = no reason expected
};

const RuleCase kRuleCases[] = {
    {"healthy", [](BatteryCondition&) {}, Recommendation::ok, ""},
    {"9.9 % over baseline", [](BatteryCondition& b) { b.resistance_mOhm = 4.396; },
     Recommendation::ok, ""},
    {"10 % over baseline: watch", [](BatteryCondition& b) { b.resistance_mOhm = 4.4; },
     Recommendation::watch, "10.0 % over its baseline"},
    {"19.9 % over: still watch", [](BatteryCondition& b) { b.resistance_mOhm = 4.796; },
     Recommendation::watch, "watch at 10 %"},
    {"20 % over, slow: plan replacement", [](BatteryCondition& b) { b.resistance_mOhm = 4.8; },
     Recommendation::plan_replacement, "investigate at 20 %"},
    {"20 % over, 14.9 % of it this week: plan replacement",
     [](BatteryCondition& b) {
       b.resistance_mOhm = 4.8;
       b.rise_in_week_pct = 14.9;
     },
     Recommendation::plan_replacement, "plan its replacement"},
    {"20 % over, 15 % of it this week: check the connection",
     [](BatteryCondition& b) {
       b.resistance_mOhm = 4.8;
       b.rise_in_week_pct = 15.0;
     },
     Recommendation::check_connection, "check the connection torque"},
    {"49.9 % over", [](BatteryCondition& b) { b.resistance_mOhm = 5.996; },
     Recommendation::plan_replacement, "49.9 % over"},
    {"50 % over: replace", [](BatteryCondition& b) { b.resistance_mOhm = 6.0; },
     Recommendation::replace_now, "(replace at 50 %)"},
    {"50 % over in a week: replace all the same",
     [](BatteryCondition& b) {
       b.resistance_mOhm = 6.0;
       b.rise_in_week_pct = 50.0;
     },
     Recommendation::replace_now, "replace"},
    {"no baseline yet: no resistance finding",
     [](BatteryCondition& b) {
       b.baseline_mOhm.reset();
       b.resistance_mOhm = 9.0;
     },
     Recommendation::ok, ""},
    {"trend 0.99 %/month", [](BatteryCondition& b) { b.trend_pct_per_month = 0.99; },
     Recommendation::ok, ""},
    {"trend 1 %/month: watch", [](BatteryCondition& b) { b.trend_pct_per_month = 1.0; },
     Recommendation::watch, "rising 1.0 % of baseline per month"},
    {"trend 3 %/month: plan replacement", [](BatteryCondition& b) { b.trend_pct_per_month = 3.0; },
     Recommendation::plan_replacement, "healthy ageing: under 0.4 %"},
    {"SOH 80 %", [](BatteryCondition& b) { b.soh_pct = 80.0; }, Recommendation::ok, ""},
    {"SOH 79.9 %: replace", [](BatteryCondition& b) { b.soh_pct = 79.9; },
     Recommendation::replace_now, "below 80 % of rated capacity"},
    {"weakest in 1 of 3",
     [](BatteryCondition& b) {
       b.recent_discharges = 3;
       b.weakest_in_recent = 1;
     },
     Recommendation::ok, ""},
    {"weakest in 2 of 3: plan replacement",
     [](BatteryCondition& b) {
       b.recent_discharges = 3;
       b.weakest_in_recent = 2;
     },
     Recommendation::plan_replacement, "weakest block in 2 of its string's last 3 discharges"},
    {"9.9 K over its room", [](BatteryCondition& b) { b.max_over_ambient_K = 9.9; },
     Recommendation::ok, ""},
    {"10 K over its room: check connection",
     [](BatteryCondition& b) { b.max_over_ambient_K = 10.0; }, Recommendation::check_connection,
     "ran 10.0 K above its room"},
    {"mean 30 °C", [](BatteryCondition& b) { b.mean_temperature_C = 30.0; }, Recommendation::ok,
     ""},
    {"mean 35 °C: watch (half the life)", [](BatteryCondition& b) { b.mean_temperature_C = 35.0; },
     Recommendation::watch, "about 50 % of its rated life"},
    {"readings lost: check sensor", [](BatteryCondition& b) { b.readings_ok = false; },
     Recommendation::check_sensor, "check its sensor module"},
    {"lost readings and a replace finding: replace wins",
     [](BatteryCondition& b) {
       b.readings_ok = false;
       b.soh_pct = 70.0;
     },
     Recommendation::replace_now, "check its sensor module"},
};

TEST(BatteryAttention, EachRuleOnBothSidesOfItsLimit) {
  for (const auto& c : kRuleCases) {
    auto b = healthy();
    c.change(b);
    const auto a = assess_battery(b);
    EXPECT_EQ(a.recommendation, c.expected) << c.name;
    if (std::string(c.reason_contains).empty()) {
      EXPECT_TRUE(a.reasons.empty()) << c.name << ": " << (a.reasons.empty() ? "" : a.reasons[0]);
    } else {
      bool found = false;
      for (const auto& r : a.reasons)
        found = found || r.find(c.reason_contains) != std::string::npos;
      EXPECT_TRUE(found) << c.name << ": no reason with '" << c.reason_contains << "'";
    }
  }
}

TEST(BatteryAttention, RankingUrgencyThenSeverityThenRise) {
  auto at = [](double resistance_mOhm, double soh_pct = 98.0) {
    auto b = healthy();
    b.resistance_mOhm = resistance_mOhm;
    b.soh_pct = soh_pct;
    return assess_battery(b);
  };
  EXPECT_TRUE(needs_attention_before(at(6.0), at(5.9)));        // replace before plan
  EXPECT_TRUE(needs_attention_before(at(7.0), at(6.0)));        // further beyond the limit
  EXPECT_TRUE(needs_attention_before(at(4.0, 70.0), at(6.0)));  // SOH 70 %: 12.5 % beyond
  EXPECT_FALSE(needs_attention_before(at(4.0), at(4.0)));
  EXPECT_TRUE(needs_attention_before(at(4.1), at(4.0)));  // both ok: the larger rise first
}

TEST(BatteryAttention, SlopePerMonth) {
  constexpr std::int64_t kDay = 86'400'000;
  // 1 unit per 30 days, exactly.
  std::vector<std::pair<std::int64_t, double>> line;
  for (int d = 0; d <= 30; ++d) line.emplace_back(d * kDay, d / 30.0);
  ASSERT_TRUE(slope_per_month(line, kDay).has_value());
  EXPECT_NEAR(*slope_per_month(line, kDay), 1.0, 1e-9);
  EXPECT_FALSE(slope_per_month({{0, 1.0}, {kDay, 2.0}}, 0).has_value());  // two points
  EXPECT_FALSE(slope_per_month(line, 31 * kDay).has_value());             // too short a span
  EXPECT_FALSE(slope_per_month({{0, 1.0}, {0, 2.0}, {0, 3.0}}, 0).has_value());
}

TEST(AttentionQuery, ParametersAndTheirLimits) {
  const auto parse = [](const std::string& target) {
    return parse_attention_query(*parse_target(target));
  };
  const auto q = std::get<AttentionQuery>(parse("/api/v1/attention"));
  EXPECT_EQ(q.string_id, 0);
  EXPECT_EQ(q.days, kAttentionDefaultDays);
  EXPECT_EQ(std::get<AttentionQuery>(parse("/api/v1/attention?string=3&days=30")).days, 30);
  for (const char* bad : {"?string=0", "?string=x", "?days=0", "?days=3651", "?colour=red"})
    EXPECT_TRUE(std::holds_alternative<std::string>(parse(std::string("/api/v1/attention") + bad)))
        << bad;
}

class FixedClock final : public model::Clock {
 public:
  explicit FixedClock(std::int64_t now_ms) : now_ms_(now_ms) {}
  std::int64_t now_ms() const override { return now_ms_; }
  double rate() const override { return 1.0; }

 private:
  std::int64_t now_ms_;
};

// One string of five batteries with an ambient sensor; 20 days of hourly history.
//   1/1 healthy; 1/2 ageing fast (3.0 -> 3.9 mΩ over 20 days); 1/3 a step this week
//   (3.0 -> 3.75 mΩ two days ago); 1/4 runs 12 K above its room; 1/5 led two of the last three
//   discharges.
class AttentionApiTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kNow = 1'780'000'000'000;
  static constexpr std::int64_t kHour = 3'600'000;
  static constexpr int kHours = 20 * 24;

  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("btms_attention_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    site_ = std::make_shared<model::Site>();
    model::String s;
    s.id = 1;
    s.ups_id = 1;
    s.batteries = 5;
    s.ambient_th = 1;
    site_->strings.push_back(s);
    for (int k = 1; k <= 5; ++k) {
      const auto b = "battery/1/" + std::to_string(k);
      plant_dir_->add(b + "/voltage", "V");
      plant_dir_->add(b + "/temperature", "°C");
      plant_dir_->add(b + "/resistance", "mΩ");
      plant_dir_->add(b + "/balancing", "");
      derived_dir_->add(b + "/resistance_baseline", "mΩ");
      derived_dir_->add(b + "/soh", "%");
    }
    plant_dir_->add("ambient/1/temperature", "°C");

    store_ = history::open_sqlite_store((dir_ / "history.db").string());
    for (int h = 0; h <= kHours; ++h) {
      const std::int64_t t = kNow - (kHours - h) * kHour;
      store_->append(plant_snapshot(t, h));
      // The store's queue holds 256 snapshots and drops beyond (append never blocks).
      if (h % 100 == 99) {
        ASSERT_TRUE(store_->flush());
      }
    }
    for (int d = 0; d < 3; ++d) {
      model::DischargeRecord r;
      r.string_id = 1;
      r.start_ms = kNow - (10 - d) * 86'400'000LL;
      r.end_ms = r.start_ms + 600'000;
      r.weakest_position = d == 1 ? 2 : 5;  // 1/5 in two of three
      r.min_battery_voltage_V = {11.5, 11.4, 11.5, 11.5, 11.0};
      store_->append_discharge(r);
    }
    ASSERT_TRUE(store_->flush());
    plant_->publish(plant_snapshot(kNow, kHours));
    auto derived = std::make_shared<model::Snapshot>();
    derived->channels = derived_dir_;
    derived->time_ms = kNow;
    for (int k = 1; k <= 5; ++k) {
      derived->samples.push_back({3.0, kNow, model::Quality::ok});   // baseline
      derived->samples.push_back({97.0, kNow, model::Quality::ok});  // SOH
    }
    derived_->publish(derived);

    ctx_.plant = plant_;
    ctx_.derived = derived_;
    ctx_.site = site_;
    ctx_.history = store_;
    ctx_.clock = std::make_shared<FixedClock>(kNow);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Values of the plant channels at hour h of the history.
  std::shared_ptr<const model::Snapshot> plant_snapshot(std::int64_t t, int h) const {
    auto snap = std::make_shared<model::Snapshot>();
    snap->channels = plant_dir_;
    snap->time_ms = t;
    const auto add = [&](double v) { snap->samples.push_back({v, t, model::Quality::ok}); };
    for (int k = 1; k <= 5; ++k) {
      add(13.5 + 0.001 * (h % 3));  // voltage
      add(k == 4 ? 35.0 : 24.0);    // temperature: 1/4 runs 12 K above its room
      double r = 3.0;
      if (k == 2) r = 3.0 + 0.9 * h / kHours;   // steady ageing
      if (k == 3 && h > kHours - 48) r = 3.75;  // a step two days ago
      add(r);
      add(0.0);  // not balancing
    }
    add(23.0);  // ambient
    return snap;
  }

  json get(const std::string& target, int status = 200) {
    Router router;
    add_attention_routes(router, ctx_);
    Request request;
    request.method = "GET";
    request.target = target;
    const auto response = router.handle(request);
    EXPECT_EQ(response.status, status) << target << " " << response.body;
    return json::parse(response.body);
  }
  const json& battery(const json& answer, const std::string& id) {
    for (const auto& b : answer["batteries"])
      if (b["battery"] == id) return b;
    ADD_FAILURE() << id << " missing";
    static const json none;
    return none;
  }

  std::filesystem::path dir_;
  std::shared_ptr<model::Site> site_;
  std::shared_ptr<model::ChannelDirectory> plant_dir_ = std::make_shared<model::ChannelDirectory>();
  std::shared_ptr<model::ChannelDirectory> derived_dir_ =
      std::make_shared<model::ChannelDirectory>();
  std::shared_ptr<model::SnapshotPublisher> plant_ = std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<model::SnapshotPublisher> derived_ = std::make_shared<model::SnapshotPublisher>();
  std::shared_ptr<history::HistoryStore> store_;
  ApiContext ctx_;
};

TEST_F(AttentionApiTest, RanksAndExplainsEachBattery) {
  const auto answer = get("/api/v1/attention?days=30");
  ASSERT_EQ(answer["batteries"].size(), 5U);
  EXPECT_TRUE(answer["history"].get<bool>());
  // 1/2: 30 % over baseline, ageing 4.5 % of baseline a month -> plan replacement.
  const auto& ageing = battery(answer, "battery/1/2");
  EXPECT_EQ(ageing["recommendation"], "plan_replacement");
  EXPECT_NEAR(ageing["over_baseline_pct"].get<double>(), 30.0, 0.1);
  EXPECT_NEAR(ageing["trend_pct_per_month"].get<double>(), 45.0, 2.0);  // 0.9 mΩ / 20 d of 3.0
  // 1/3: 25 % over, all of it within the week -> the connection first.
  const auto& step = battery(answer, "battery/1/3");
  EXPECT_EQ(step["recommendation"], "check_connection");
  EXPECT_NEAR(step["rise_in_week_pct"].get<double>(), 25.0, 0.1);
  // 1/4: 12 K above its room.
  const auto& hot = battery(answer, "battery/1/4");
  EXPECT_EQ(hot["recommendation"], "check_connection");
  EXPECT_NEAR(hot["max_over_ambient_K"].get<double>(), 12.0, 0.01);
  // 1/5: weakest in two of the last three discharges.
  const auto& weak = battery(answer, "battery/1/5");
  EXPECT_EQ(weak["recommendation"], "plan_replacement");
  EXPECT_EQ(weak["weakest_in_recent"], 2);
  EXPECT_EQ(weak["recent_discharges"], 3);
  EXPECT_EQ(battery(answer, "battery/1/1")["recommendation"], "ok");
  // Most urgent first; the healthy battery last.
  EXPECT_EQ(answer["batteries"].back()["battery"], "battery/1/1");
  EXPECT_EQ(answer["counts"]["plan_replacement"], 2);
  EXPECT_EQ(answer["counts"]["check_connection"], 2);
  EXPECT_EQ(answer["counts"]["ok"], 1);
}

// A replaced battery is judged from its replacement on: the old block's resistance trend and the
// discharges it led say nothing about the new one.
TEST_F(AttentionApiTest, AReplacedBatteryIsJudgedFromItsReplacementOn) {
  auto log = std::make_shared<history::MaintenanceLog>("");
  const auto replaced = [&](int position, std::int64_t recorded_ms, const char* serial) {
    history::MaintenanceRecord r;
    r.string_id = 1;
    r.position = position;
    r.kind = history::MaintenanceKind::replacement;
    r.work_date = "2026-05-28";
    r.serial = serial;
    r.recorded_ms = recorded_ms;
    log->add(r);
  };
  replaced(5, kNow - 8 * 86'400'000LL - 12 * kHour, "NEW-5");  // after two of its three
  replaced(2, kNow - 12 * kHour, "NEW-2");                     // half a day ago
  replaced(1, kNow - 40 * 86'400'000LL, "OLD-1");              // before the window
  ctx_.maintenance = log;
  const auto answer = get("/api/v1/attention?days=30");

  const auto& weak = battery(answer, "battery/1/5");
  EXPECT_EQ(weak["recent_discharges"], 1);
  EXPECT_EQ(weak["weakest_in_recent"], 1);
  EXPECT_EQ(weak["recommendation"], "ok");
  EXPECT_EQ(weak["replaced"]["serial"], "NEW-5");
  EXPECT_NE(weak["reasons"].dump().find("replaced on 2026-05-28 (serial NEW-5)"), std::string::npos)
      << weak.dump();
  // 1/2: half a day of the new block is no trend; its rise over the baseline still counts.
  const auto& ageing = battery(answer, "battery/1/2");
  EXPECT_TRUE(ageing["trend_pct_per_month"].is_null()) << ageing.dump();
  EXPECT_EQ(ageing["recommendation"], "plan_replacement");
  // 1/1: replaced long before the window: recorded, but no longer a reason.
  const auto& old = battery(answer, "battery/1/1");
  EXPECT_EQ(old["replaced"]["serial"], "OLD-1");
  EXPECT_EQ(old["reasons"].dump().find("replaced on"), std::string::npos) << old.dump();
  EXPECT_TRUE(battery(answer, "battery/1/3")["replaced"].is_null());
}

TEST_F(AttentionApiTest, WithoutHistoryOnlyTheLiveFigures) {
  ctx_.history.reset();
  const auto answer = get("/api/v1/attention");
  EXPECT_FALSE(answer["history"].get<bool>());
  const auto& ageing = battery(answer, "battery/1/2");
  EXPECT_TRUE(ageing["trend_pct_per_month"].is_null());
  EXPECT_EQ(ageing["recommendation"], "plan_replacement");  // 30 % over baseline alone
  EXPECT_EQ(battery(answer, "battery/1/5")["recommendation"], "ok");
}

TEST_F(AttentionApiTest, BadQueriesAreRefusedWithTheReason) {
  EXPECT_EQ(get("/api/v1/attention?string=2", 404)["error"], "no string 2");
  EXPECT_EQ(get("/api/v1/attention?days=0", 400)["error"], "days must be 1..3650");
  EXPECT_EQ(get("/api/v1/attention?string=1")["batteries"].size(), 5U);
}

}  // namespace
}  // namespace btms::web
