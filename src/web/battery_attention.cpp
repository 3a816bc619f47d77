#include "web/battery_attention.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace btms::web {

std::string_view to_string(Recommendation recommendation) {
  switch (recommendation) {
    case Recommendation::ok:
      return "ok";
    case Recommendation::watch:
      return "watch";
    case Recommendation::check_sensor:
      return "check_sensor";
    case Recommendation::check_connection:
      return "check_connection";
    case Recommendation::plan_replacement:
      return "plan_replacement";
    case Recommendation::replace_now:
      return "replace_now";
  }
  return "ok";
}

namespace {

constexpr double kMonth_ms = 30.0 * 86'400'000.0;

struct Finder {
  Attention& out;
  // A finding: raises the recommendation to at least `level`; severity is how far beyond its
  // limit the finding is (a ratio, 0 at the limit), kept for the most urgent level only.
  void add(Recommendation level, double severity, std::string reason) {
    if (level > out.recommendation) {
      out.recommendation = level;
      out.severity = severity;
    } else if (level == out.recommendation) {
      out.severity = std::max(out.severity, severity);
    }
    out.reasons.push_back(std::move(reason));
  }
};

void resistance_findings(const BatteryCondition& b, const AttentionLimits& l, Finder& f) {
  if (!b.resistance_mOhm || !b.baseline_mOhm || *b.baseline_mOhm <= 0.0) return;
  // At a hundredth of a percent: 4.8 mΩ over 4.0 mΩ is 20 %, not 19.999999999999996 %.
  const double over = std::round(1e4 * (*b.resistance_mOhm / *b.baseline_mOhm - 1.0)) / 100.0;
  f.out.over_baseline_pct = over;
  const auto text = [&](std::string_view what, double limit) {
    return fmt::format(
        "resistance {:.2f} mΩ is {:.1f} % over its baseline {:.2f} mΩ ({} at {:.0f} %)",
        *b.resistance_mOhm, over, *b.baseline_mOhm, what, limit);
  };
  if (over >= l.replace_over_baseline_pct) {
    f.add(Recommendation::replace_now, over / l.replace_over_baseline_pct - 1.0,
          text("replace", l.replace_over_baseline_pct));
  } else if (over >= l.investigate_over_baseline_pct) {
    // A step within a week is a connection until shown otherwise; a slow climb is the block.
    if (b.rise_in_week_pct && *b.rise_in_week_pct >= l.step_rise_in_week_pct) {
      f.add(Recommendation::check_connection, over / l.investigate_over_baseline_pct - 1.0,
            text("investigate", l.investigate_over_baseline_pct) +
                fmt::format("; it rose {:.0f} % within a week: check the connection torque and "
                            "measure again before replacing",
                            *b.rise_in_week_pct));
    } else {
      f.add(Recommendation::plan_replacement, over / l.investigate_over_baseline_pct - 1.0,
            text("investigate", l.investigate_over_baseline_pct) + "; plan its replacement");
    }
  } else if (over >= l.watch_over_baseline_pct) {
    f.add(Recommendation::watch, over / l.watch_over_baseline_pct - 1.0,
          text("watch", l.watch_over_baseline_pct));
  }
  // A step within the week dominates a slope over the window: the connection is checked
  // first, and the trend says something again once the step is explained.
  const bool step = b.rise_in_week_pct && *b.rise_in_week_pct >= l.step_rise_in_week_pct &&
                    over >= l.investigate_over_baseline_pct;
  if (b.trend_pct_per_month && !step) {
    const double trend = *b.trend_pct_per_month;
    const auto trend_text = [&](std::string_view what) {
      return fmt::format(
          "resistance rising {:.1f} % of baseline per month (healthy ageing: under 0.4 %; {})",
          trend, what);
    };
    if (trend >= l.fast_trend_pct_per_month) {
      f.add(Recommendation::plan_replacement, trend / l.fast_trend_pct_per_month - 1.0,
            trend_text("plan its replacement"));
    } else if (trend >= l.watch_trend_pct_per_month) {
      f.add(Recommendation::watch, trend / l.watch_trend_pct_per_month - 1.0,
            trend_text("watch it"));
    }
  }
}

void capacity_findings(const BatteryCondition& b, const AttentionLimits& l, Finder& f) {
  if (b.soh_pct && *b.soh_pct < l.replace_below_soh_pct) {
    f.add(Recommendation::replace_now, 1.0 - *b.soh_pct / l.replace_below_soh_pct,
          fmt::format("state of health {:.0f} % is below {:.0f} % of rated capacity: replace",
                      *b.soh_pct, l.replace_below_soh_pct));
  }
  if (b.recent_discharges > 0 && b.weakest_in_recent >= l.weakest_of_recent) {
    f.add(Recommendation::plan_replacement,
          static_cast<double>(b.weakest_in_recent) / b.recent_discharges,
          fmt::format("weakest block in {} of its string's last {} discharges: plan its "
                      "replacement",
                      b.weakest_in_recent, b.recent_discharges));
  }
}

void temperature_findings(const BatteryCondition& b, const AttentionLimits& l, Finder& f) {
  if (b.max_over_ambient_K && *b.max_over_ambient_K >= l.hot_over_ambient_K) {
    f.add(Recommendation::check_connection, *b.max_over_ambient_K / l.hot_over_ambient_K - 1.0,
          fmt::format("ran {:.1f} K above its room (limit {:.0f} K): check for a loose "
                      "connection or a heat source, and the charger",
                      *b.max_over_ambient_K, l.hot_over_ambient_K));
  }
  if (b.mean_temperature_C && *b.mean_temperature_C > l.life_reference_C + 5.0) {
    const double life_left = std::pow(0.5, (*b.mean_temperature_C - l.life_reference_C) / 10.0);
    f.add(Recommendation::watch, (*b.mean_temperature_C - l.life_reference_C) / 10.0,
          fmt::format("mean temperature {:.1f} °C: at that temperature a block lasts about "
                      "{:.0f} % of its rated life (halved per 10 K above {:.0f} °C)",
                      *b.mean_temperature_C, 100.0 * life_left, l.life_reference_C));
  }
}

}  // namespace

Attention assess_battery(const BatteryCondition& battery, const AttentionLimits& limits) {
  Attention out;
  Finder finder{out};
  if (!battery.readings_ok) {
    finder.add(Recommendation::check_sensor, 0.0,
               "no current readings: check its sensor module and the bus wiring");
  }
  resistance_findings(battery, limits, finder);
  capacity_findings(battery, limits, finder);
  temperature_findings(battery, limits, finder);
  return out;
}

bool needs_attention_before(const Attention& a, const Attention& b) {
  if (a.recommendation != b.recommendation) return a.recommendation > b.recommendation;
  if (a.severity != b.severity) return a.severity > b.severity;
  return a.over_baseline_pct.value_or(-1e9) > b.over_baseline_pct.value_or(-1e9);
}

std::optional<double> slope_per_month(const std::vector<std::pair<std::int64_t, double>>& points,
                                      std::int64_t min_span_ms) {
  if (points.size() < 3) return std::nullopt;
  const auto [lo, hi] = std::minmax_element(
      points.begin(), points.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (hi->first - lo->first < min_span_ms) return std::nullopt;
  // Centered on the first point so the sums stay well conditioned.
  const double t0 = static_cast<double>(lo->first);
  double st = 0.0, sv = 0.0;
  for (const auto& [t, v] : points) {
    st += (static_cast<double>(t) - t0) / kMonth_ms;
    sv += v;
  }
  const double n = static_cast<double>(points.size());
  const double mean_t = st / n, mean_v = sv / n;
  double stt = 0.0, stv = 0.0;
  for (const auto& [t, v] : points) {
    const double dt = (static_cast<double>(t) - t0) / kMonth_ms - mean_t;
    stt += dt * dt;
    stv += dt * (v - mean_v);
  }
  if (stt <= 0.0) return std::nullopt;
  return stv / stt;
}

}  // namespace btms::web
