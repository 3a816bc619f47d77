#include "notify/message_text.hpp"

#include <fmt/format.h>

#include <ctime>

#include "model/ids.hpp"

namespace btms::notify {
namespace {

// Rule-name prefixes to advice; the first match wins, so specific names come first.
struct Advice {
  std::string_view prefix;
  std::string_view text;
};
constexpr Advice kAdvice[] = {
    {"string_tripped",
     "Protection disconnected the string. Find the cause before resetting it on the alarms page; "
     "the UPS has less (or no) battery backup until then."},
    {"string_thermal_runaway",
     "Possible thermal runaway: the string has been disconnected. Keep people away, ventilate "
     "the room and inspect the hot battery with protective equipment before any reset."},
    {"battery_temperature_rising_past_trip",
     "Thermal runaway risk: check that the string opened, ventilate, inspect on site at once."},
    {"battery_temperature_fatal",
     "Thermal runaway risk: the string must be open. Inspect on site at once."},
    {"battery_temperature_trip",
     "Check that the string was disconnected, then the room's cooling and the charger voltage."},
    {"battery_temperature",
     "Check the room's cooling and ventilation and the charger voltage; every 10 °C above 25 °C "
     "halves the battery's life."},
    {"battery_delta_t_ambient",
     "A battery much warmer than the room may be going into thermal runaway: inspect it on site."},
    {"battery_voltage_high",
     "Check the charger's float voltage; one high battery in a string often has a weak "
     "neighbour."},
    {"battery_voltage_low",
     "Check the battery and its connections; if it stays low after a recharge, test and replace "
     "it."},
    {"battery_resistance_warning",
     "Resistance 20 % over its baseline: plan a capacity test of this battery."},
    {"battery_resistance",
     "Resistance far over its baseline: replace this battery and check its connections."},
    {"battery_comm_lost",
     "Check the battery sensor's wiring and the RS-485 bus; this battery is not watched until it "
     "answers again."},
    {"battery_soh", "The battery has aged: plan its replacement (below 80 % of rated capacity)."},
    {"string_voltage", "Check the charger's output voltage and the string's connections."},
    {"string_current_high", "Check the charger's current limit."},
    {"string_current_low",
     "The string is discharging: check the mains supply and the UPS; runtime is limited."},
    {"string_insulation",
     "Look for an earth fault: moisture, a leaking battery or a damaged cable."},
    {"string_current_sensor", "Check the current sensor and its cable."},
    {"string_comm_lost",
     "Check the string sensor's wiring and the RS-485 bus; the string is not watched meanwhile."},
    {"string_relay_mismatch", "Check the string contactor and its feedback wiring."},
    {"string_soc", "Restore charging; the UPS's runtime is reduced."},
};

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Messages list this many alarms in full; a storm's remainder is counted.
constexpr std::size_t kListed = 30;

}  // namespace

std::string utc_text(std::int64_t time_ms) {
  const std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

std::string_view advice_for(std::string_view rule) {
  for (const auto& a : kAdvice) {
    if (rule.starts_with(a.prefix)) return a.text;
  }
  return "Look at the alarm in the web UI and check on site.";
}

const char* severity_word(model::Severity severity) {
  switch (severity) {
    case model::Severity::info:
      return "INFO";
    case model::Severity::warning:
      return "WARNING";
    case model::Severity::alarm:
      return "ALARM";
    case model::Severity::trip:
      return "TRIP";
  }
  return "?";
}

std::string where_text(const std::string& source, const SiteNames& names) {
  // At the aggregator: "hall-a / Battery 3/17 in String 3 ..." from hall-a's own names; the
  // gateway itself (its gateway_offline alarm) is "Gateway hall-a".
  if (names.gateways.contains(source)) return "Gateway " + source;
  const auto parts = names.split(source);
  const std::string local(parts.local);
  std::string out = parts.gateway.empty() ? std::string() : std::string(parts.gateway) + " / ";
  out += model::source_label(local);
  const auto group = group_of(local);
  if (!group.starts_with("string/")) return out;
  const int id = std::stoi(group.substr(7));
  const auto found = names.string_info(source);
  if (!found) return out;
  const auto& info = *found;
  if (local.starts_with("battery/")) {
    out += fmt::format(" in String {}", id);
    if (!info.name.empty()) out += fmt::format(" \"{}\"", info.name);
  } else if (!info.name.empty()) {
    out += fmt::format(" \"{}\"", info.name);
  }
  if (info.ups_id > 0) {
    out += fmt::format(" of UPS {}", info.ups_id);
    if (!info.ups_name.empty()) out += fmt::format(" \"{}\"", info.ups_name);
  }
  return out;
}

std::string link_for(const std::string& source, const RoutingSettings& settings) {
  std::string base = settings.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (source.starts_with("battery/") || source.starts_with("string/") ||
      source.starts_with("ups/")) {
    return base + "/#/" + source;
  }
  // The aggregator's web UI shows a gateway's pages under #/gw/<gateway>/.
  if (const auto parts = split_gateway(source); !parts.gateway.empty()) {
    return base + "/#/gw/" + source;
  }
  return base + "/#/alarms";
}

void fill_texts(Notification& n, const RoutingSettings& settings, const SiteNames& names) {
  const std::string site = settings.site_name.empty() ? names.site : settings.site_name;
  const std::string prefix = site.empty() ? "[BTMS]" : fmt::format("[BTMS {}]", site);
  std::string base = settings.base_url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string alarms_link = base + "/#/alarms";

  if (n.test) {
    n.subject = prefix + " Test message for " + n.recipient;
    n.text = fmt::format(
        "This is a test message from the battery monitoring system of {} to recipient \"{}\", "
        "sent {}.\nIf you read this, alarms of this site will reach you here.\nAlarms: {}\n",
        site.empty() ? "this site" : site, n.recipient, utc_text(n.time_ms), alarms_link);
    n.html = "<p>" + escape_html(n.text) + "</p>";
    return;
  }

  const int active = n.active_count();
  const int cleared = static_cast<int>(n.alarms.size()) - active;
  const std::string where = where_text(n.group, names);
  const auto* headline = n.alarms.empty() ? nullptr : &n.alarms.front();
  if (n.reason == Reason::recovery) {
    n.subject = fmt::format("{} RESOLVED {}: {} alarm{} cleared", prefix, where, cleared,
                            cleared == 1 ? "" : "s");
  } else {
    const char* tag = n.reason == Reason::escalation ? "ESCALATED "
                      : n.reason == Reason::repeat   ? "REPEAT "
                                                     : "";
    n.subject = fmt::format("{} {}{} {}: {} active alarm{}{}", prefix, tag,
                            severity_word(n.worst_active()), where, active, active == 1 ? "" : "s",
                            headline ? " - " + headline->text : std::string());
  }

  std::string intro;
  switch (n.reason) {
    case Reason::first:
      intro = "New alarms";
      break;
    case Reason::update:
      intro = "The alarms changed";
      break;
    case Reason::repeat:
      intro = "Still not acknowledged";
      break;
    case Reason::escalation:
      intro = "Escalated to you (tier " + std::to_string(n.tier) +
              "): nobody acknowledged these alarms in time";
      break;
    case Reason::recovery:
      intro = "Back to normal";
      break;
  }
  std::string text = fmt::format("{} at {}: {} active, {} cleared.\nSent {}.\n\n", intro, where,
                                 active, cleared, utc_text(n.time_ms));
  std::string html =
      fmt::format("<p><b>{}</b> at {}: {} active, {} cleared.<br>Sent {}.</p>\n<ul>\n",
                  escape_html(intro), escape_html(where), active, cleared, utc_text(n.time_ms));
  std::size_t listed = 0;
  for (const auto& a : n.alarms) {
    if (listed == kListed) break;
    ++listed;
    const std::string state =
        a.active ? (a.acknowledged ? "acknowledged by " + a.acknowledged_by : "not acknowledged")
                 : "cleared " + utc_text(a.cleared_ms);
    const auto link = link_for(a.source, settings);
    text += fmt::format("{} {}: {}\n  raised {}, {}\n",
                        a.active ? severity_word(a.severity) : "CLEARED",
                        where_text(a.source, names), a.text, utc_text(a.raised_ms), state);
    if (a.active) text += fmt::format("  What to do: {}\n", advice_for(a.rule));
    text += fmt::format("  {}\n\n", link);
    html += fmt::format(
        "<li><b>{}</b> {}: {}<br>raised {}, {}<br>{}<a href=\"{}\">{}</a></li>\n",
        a.active ? severity_word(a.severity) : "CLEARED", escape_html(where_text(a.source, names)),
        escape_html(a.text), utc_text(a.raised_ms), escape_html(state),
        a.active ? "What to do: " + escape_html(advice_for(a.rule)) + "<br>" : std::string(),
        escape_html(link), escape_html(link));
  }
  if (n.alarms.size() > listed) {
    const auto more = n.alarms.size() - listed;
    text += fmt::format("... and {} more alarm{} at {}.\n", more, more == 1 ? "" : "s", where);
    html += fmt::format("<li>... and {} more at {}</li>\n", more, escape_html(where));
  }
  text += "All alarms: " + alarms_link + "\n";
  html +=
      fmt::format("</ul>\n<p>All alarms: <a href=\"{0}\">{0}</a></p>\n", escape_html(alarms_link));
  n.text = std::move(text);
  n.html = std::move(html);
}

void mark_late(Notification& n, std::int64_t now_ms) {
  if (n.late) return;
  n.late = true;
  const auto close = n.subject.find("] ");
  const auto at = n.subject.starts_with("[BTMS") && close != std::string::npos ? close + 2 : 0;
  n.subject.insert(at, "LATE ");
  const auto note = fmt::format(
      "Sent late: decided {}, not delivered before the gateway restarted; sent again {}.",
      utc_text(n.time_ms), utc_text(now_ms));
  n.text = note + "\n\n" + n.text;
  n.html = "<p><i>" + escape_html(note) + "</i></p>\n" + n.html;
}

}  // namespace btms::notify
