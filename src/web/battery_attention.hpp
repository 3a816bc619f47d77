// Which batteries need attention, and what to do about each: the judgement a battery engineer
// makes from a monitor's figures, written down so it is the same every time. Pure: the figures
// of one battery come in, a recommendation with its reasons in words goes out.
//
// The limits follow IEEE 1188 practice as summarised in shared/ANCHORS.md: an ohmic value 20 %
// over the battery's own baseline is investigated, 50 % over it is replaced; a battery below
// 80 % of its rated capacity is replaced; healthy ageing raises resistance by under 5 % a year;
// service life halves for every 10 K above 25 °C; a block more than 10 K above its room may be
// running away (or has a bad connection heating it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace btms::web {

// Most urgent last: a battery's recommendation is the most urgent of its findings.
enum class Recommendation {
  ok,
  watch,
  check_sensor,
  check_connection,
  plan_replacement,
  replace_now
};
std::string_view to_string(Recommendation recommendation);

struct AttentionLimits {
  double investigate_over_baseline_pct = 20.0;  // IEEE 1188: investigate
  double replace_over_baseline_pct = 50.0;      // IEEE 1188: replace
  double watch_over_baseline_pct = 10.0;        // half the investigate limit: keep an eye on it
  double replace_below_soh_pct = 80.0;          // replace below 80 % of rated capacity
  // A rise this large within the last week is a step, not ageing: a loose or corroded
  // connection (retorque and measure again) before the block is blamed.
  double step_rise_in_week_pct = 15.0;
  // Healthy ageing is under 5 %/year (0.4 %/month); eight times that is a block failing.
  double fast_trend_pct_per_month = 3.0;
  double watch_trend_pct_per_month = 1.0;
  double hot_over_ambient_K = 10.0;  // hotter than its room by this much: a heat source
  double life_reference_C = 25.0;    // service life halves per 10 K above this
  int weakest_of_recent = 2;         // the weakest block in this many of the recent discharges
};

// What is known of one battery; anything unknown is left empty and is never guessed.
struct BatteryCondition {
  bool readings_ok = true;  // false: stale or lost readings (the live values are not current)
  std::optional<double> voltage_V, temperature_C, resistance_mOhm;
  std::optional<double> baseline_mOhm;  // learned resistance baseline
  std::optional<double> soh_pct;
  std::optional<double> ambient_C;  // its string's room sensor
  // From the history: resistance slope over the trend window, % of baseline per 30 days, and
  // how much of the baseline the resistance rose within the last 7 days.
  std::optional<double> trend_pct_per_month;
  std::optional<double> rise_in_week_pct;
  std::optional<double> mean_temperature_C;  // over the trend window
  std::optional<double> max_over_ambient_K;  // highest battery - ambient over the window
  int recent_discharges = 0;                 // of its string, newest first, at most 3
  int weakest_in_recent = 0;                 // of those, how often it was the weakest block
};

struct Attention {
  Recommendation recommendation = Recommendation::ok;
  std::vector<std::string> reasons;  // plain words with values, units and limits
  std::optional<double> over_baseline_pct;
  // For ranking within one recommendation: how far beyond its limit the worst finding is.
  double severity = 0.0;
};

Attention assess_battery(const BatteryCondition& battery, const AttentionLimits& limits = {});

// Ranking order: most urgent recommendation first, then the larger severity, then the larger
// rise over baseline.
bool needs_attention_before(const Attention& a, const Attention& b);

// Least-squares slope of (time_ms, value) in value units per 30 days; nullopt with fewer than
// three points or when they span under min_span_ms.
std::optional<double> slope_per_month(const std::vector<std::pair<std::int64_t, double>>& points,
                                      std::int64_t min_span_ms);

}  // namespace btms::web
