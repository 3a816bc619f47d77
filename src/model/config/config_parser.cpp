#include "model/config/config_parser.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <toml++/toml.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <utility>

namespace btms::model {

namespace {

enum class Need { optional, required };

// An IPv4 or IPv6 literal, or a DNS host name (RFC 1123: labels of letters, digits and '-',
// not starting or ending with '-', at most 63 characters each, 253 in all).
bool is_host_name_or_address(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
      ::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return true;
  }
  if (host.size() > 253) return false;
  std::size_t label = 0;
  char previous = '.';
  for (const char c : host) {
    if (c == '.') {
      if (label == 0 || previous == '-') return false;
      label = 0;
    } else {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && !(c == '-' && label > 0)) return false;
      if (++label > 63) return false;
    }
    previous = c;
  }
  return label > 0 && previous != '-';
}

// Where errors go; shared by every reader of one file.
struct Context {
  std::string file;
  std::vector<ConfigError> errors;

  void error(int line, std::string key, std::string reason) {
    errors.push_back(ConfigError{file, line, std::move(key), std::move(reason)});
  }
};

int line_of(const toml::source_region& source) {
  return std::max(1, static_cast<int>(source.begin.line));
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "table";
    case toml::node_type::array:
      return "array";
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    default:
      return "date/time";
  }
}

// Reads one TOML table. Every getter remembers the key it was asked for, so finish() can report
// each key nobody asked for: a misspelt optional key would otherwise silently keep its default.
class TableReader {
 public:
  TableReader(Context& ctx, const toml::table& table, std::string path)
      : ctx_(ctx), table_(table), path_(std::move(path)) {}

  std::string key_path(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }
  const std::string& path() const { return path_; }
  Context& ctx() const { return ctx_; }
  int line() const { return line_of(table_.source()); }
  // Line of the key's value, or of the table when the key is absent.
  int line_of_key(std::string_view key) const {
    const auto* node = table_.get(key);
    return node ? line_of(node->source()) : line();
  }
  void error(std::string_view key, std::string reason) const {
    ctx_.error(line_of_key(key), key_path(key), std::move(reason));
  }

  // The raw node, or nullptr (reported when required).
  const toml::node* node(std::string_view key, Need need) {
    known_.emplace(key);
    const auto* found = table_.get(key);
    if (!found && need == Need::required) error(key, "missing required key");
    return found;
  }

  // Each read() leaves `out` untouched unless the key is present with a valid value; it
  // returns whether it wrote `out`.
  bool read(std::string_view key, std::string& out, Need need = Need::optional) {
    const auto* n = node(key, need);
    if (!n) return false;
    if (!n->is_string()) return wrong_type(key, *n, "string");
    const auto& text = n->as_string()->get();
    // Names end up in logs, the UI, CSV headers and SCADA texts: a control character (a
    // newline, an escape sequence) would forge or garble them.
    for (const char c : text) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        error(key, fmt::format("control character (code {}) in the value",
                               static_cast<int>(static_cast<unsigned char>(c))));
        return false;
      }
    }
    out = text;
    return true;
  }

  bool read(std::string_view key, bool& out, Need need = Need::optional) {
    const auto* n = node(key, need);
    if (!n) return false;
    if (!n->is_boolean()) return wrong_type(key, *n, "boolean");
    out = n->as_boolean()->get();
    return true;
  }

  bool read(std::string_view key, int& out, int min, int max, Need need = Need::optional) {
    const auto* n = node(key, need);
    if (!n) return false;
    if (!n->is_integer()) return wrong_type(key, *n, "integer");
    const std::int64_t value = n->as_integer()->get();
    if (value < min || value > max) {
      error(key, fmt::format("value {} out of range {}..{}", value, min, max));
      return false;
    }
    out = static_cast<int>(value);
    return true;
  }

  // Integers are accepted where a number is expected: "capacity_Ah = 100" is natural.
  bool read(std::string_view key, double& out, double min, double max, Need need = Need::optional) {
    const auto* n = node(key, need);
    if (!n) return false;
    double value = 0.0;
    if (n->is_integer()) {
      value = static_cast<double>(n->as_integer()->get());
    } else if (n->is_floating_point()) {
      value = n->as_floating_point()->get();
    } else {
      return wrong_type(key, *n, "number");
    }
    if (!(value >= min && value <= max)) {
      error(key, fmt::format("value {} out of range {}..{}", value, min, max));
      return false;
    }
    out = value;
    return true;
  }

  // A sub-table such as [site] or [mc]; nullptr when absent or not a table.
  const toml::table* table(std::string_view key, Need need) {
    const auto* n = node(key, need);
    if (!n) return nullptr;
    if (!n->is_table()) {
      wrong_type(key, *n, "table");
      return nullptr;
    }
    return n->as_table();
  }

  // Calls fn(reader, position) for each table of the array of tables `key` ([[key]]).
  template <class Fn>
  void each_table(std::string_view key, Fn&& fn) {
    const auto* n = node(key, Need::optional);
    if (!n) return;
    if (!n->is_array()) {
      error(key, fmt::format("expected an array of tables ([[{}]]), got {}", key_path(key),
                             type_name(*n)));
      return;
    }
    int position = 0;
    for (const auto& element : *n->as_array()) {
      ++position;
      const auto path = fmt::format("{}[{}]", key_path(key), position);
      if (!element.is_table()) {
        ctx_.error(line_of(element.source()), path,
                   fmt::format("expected a table, got {}", type_name(element)));
        continue;
      }
      TableReader child(ctx_, *element.as_table(), path);
      fn(child, position);
      child.finish();
    }
  }

  void finish() const {
    for (const auto& [key, value] : table_) {
      if (!known_.contains(key.str())) {
        ctx_.error(line_of(key.source()), key_path(key.str()), "unknown key");
      }
    }
  }

 private:
  bool wrong_type(std::string_view key, const toml::node& n, std::string_view expected) const {
    error(key, fmt::format("expected {}, got {}", expected, type_name(n)));
    return false;
  }

  Context& ctx_;
  const toml::table& table_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

// Something that occupies a resource (Modbus addresses, an I/O point), for naming both users of
// a clash.
struct Use {
  int first = 0;
  int last = 0;
  std::string owner;
  int line = 0;
};

// Remembers which Modbus addresses and I/O points are taken and reports every clash.
class Registry {
 public:
  explicit Registry(Context& ctx) : ctx_(ctx) {}

  void claim_addresses(const std::string& bus, Use use, const std::string& key_path) {
    auto& uses = addresses_[bus];
    for (const auto& other : uses) {
      const int from = std::max(use.first, other.first);
      const int to = std::min(use.last, other.last);
      if (from > to) continue;
      const auto which =
          from == to ? fmt::format("address {}", from) : fmt::format("addresses {}..{}", from, to);
      ctx_.error(use.line, key_path,
                 fmt::format("duplicate Modbus {} on bus '{}': {} and {} (line {})", which, bus,
                             use.owner, other.owner, other.line));
    }
    uses.push_back(std::move(use));
  }

  // kind is "input" or "relay"; inputs and relays are separate sets of terminals.
  void claim_point(std::string_view kind, const IoPoint& point, Use use,
                   const std::string& key_path) {
    const auto key = std::make_tuple(std::string(kind), point.lc, point.index);
    const auto [it, inserted] = points_.emplace(key, use);
    if (!inserted) {
      ctx_.error(use.line, key_path,
                 fmt::format("{} {} used twice: {} and {} (line {})", kind, format_io_point(point),
                             use.owner, it->second.owner, it->second.line));
    }
  }

 private:
  Context& ctx_;
  std::map<std::string, std::vector<Use>> addresses_;
  std::map<std::tuple<std::string, int, int>, Use> points_;
};

std::string_view to_string(Chemistry chemistry) {
  switch (chemistry) {
    case Chemistry::vrla_agm:
      return "vrla_agm";
    case Chemistry::vrla_gel:
      return "vrla_gel";
    case Chemistry::flooded:
      return "flooded";
  }
  return "?";
}

std::optional<Chemistry> parse_chemistry(std::string_view text) {
  for (auto c : {Chemistry::vrla_agm, Chemistry::vrla_gel, Chemistry::flooded}) {
    if (to_string(c) == text) return c;
  }
  return std::nullopt;
}

constexpr std::array kStandardBauds = {1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
constexpr std::array kCurrentRanges_A = {100, 200, 400, 800, 1000};  // BM-HS models
constexpr std::array kNominalVoltages_V = {2.0, 6.0, 12.0};

template <class T, std::size_t N>
bool one_of(T value, const std::array<T, N>& allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

template <std::size_t N>
std::string join(const std::array<int, N>& values) {
  return fmt::format("{}", fmt::join(values, ", "));
}

void read_site(TableReader& root, Site& site) {
  const auto* table = root.table("site", Need::required);
  if (!table) return;
  TableReader r(root.ctx(), *table, "site");
  if (r.read("name", site.name, Need::required) && site.name.empty()) {
    r.error("name", "must not be empty");
  }
  r.finish();
}

void read_history(TableReader& root, Site& site) {
  const auto* table = root.table("history", Need::optional);
  if (!table) return;
  TableReader r(root.ctx(), *table, "history");
  std::string backend = "sqlite";
  if (r.read("backend", backend, Need::optional)) {
    if (backend == "sqlite") {
      site.history.backend = HistorySettings::Backend::sqlite;
    } else if (backend == "postgresql") {
      site.history.backend = HistorySettings::Backend::postgresql;
    } else {
      r.error("backend", fmt::format("must be \"sqlite\" or \"postgresql\", got \"{}\"", backend));
    }
  }
  const bool have_connection = r.read("postgresql", site.history.postgresql, Need::optional);
  if (site.history.backend == HistorySettings::Backend::postgresql &&
      (!have_connection || site.history.postgresql.empty())) {
    r.error("postgresql", "backend \"postgresql\" needs a connection string here");
  }
  r.finish();
}

void read_battery_type(TableReader& r, Site& site) {
  BatteryType t;
  if (r.read("name", t.name, Need::required)) {
    if (t.name.empty()) r.error("name", "must not be empty");
    if (site.find_battery_type(t.name)) {
      r.error("name", fmt::format("duplicate battery type '{}'", t.name));
    }
  }
  const bool have_voltage =
      r.read("nominal_voltage_V", t.nominal_voltage_V, 0.0, 1000.0, Need::required);
  const bool voltage_ok = have_voltage && one_of(t.nominal_voltage_V, kNominalVoltages_V);
  if (have_voltage && !voltage_ok) {
    r.error("nominal_voltage_V", fmt::format("must be 2, 6 or 12, got {}", t.nominal_voltage_V));
  }
  // A lead-acid cell is 2 V nominal, so the cell count follows from the voltage.
  const int expected_cells = static_cast<int>(t.nominal_voltage_V / 2.0);
  t.cells = expected_cells;
  if (r.read("cells", t.cells, 1, 6) && voltage_ok && t.cells != expected_cells) {
    r.error("cells", fmt::format("a {} V battery has {} cells, got {}", t.nominal_voltage_V,
                                 expected_cells, t.cells));
  }
  r.read("capacity_Ah", t.capacity_Ah, 1.0, 10000.0, Need::required);
  std::string chemistry{to_string(t.chemistry)};
  if (r.read("chemistry", chemistry)) {
    if (auto c = parse_chemistry(chemistry)) {
      t.chemistry = *c;
    } else {
      r.error("chemistry",
              fmt::format("must be vrla_agm, vrla_gel or flooded, got '{}'", chemistry));
    }
  }
  r.read("float_voltage_per_cell_V", t.float_voltage_per_cell_V, 2.0, 2.5);
  // The battery sensor measures 0.1-50 mOhm (ANCHORS.md); 0 means "estimate".
  r.read("resistance_new_mOhm", t.resistance_new_mOhm, 0.0, 50.0);
  site.battery_types.push_back(std::move(t));
}

void read_bus(TableReader& r, Site& site) {
  Bus b;
  if (r.read("name", b.name, Need::required)) {
    if (b.name.empty()) r.error("name", "must not be empty");
    if (site.find_bus(b.name)) r.error("name", fmt::format("duplicate bus '{}'", b.name));
  }
  std::string kind;
  if (r.read("type", kind, Need::required)) {
    if (kind == "tcp") {
      b.kind = BusKind::tcp;
    } else if (kind == "rtu") {
      b.kind = BusKind::rtu;
    } else {
      r.error("type", fmt::format("must be \"tcp\" or \"rtu\", got '{}'", kind));
      kind.clear();
    }
  }
  // Keys of the other kind are refused: a TCP bus with a baud rate is a mistake, not a detail.
  const auto only_for = [&](std::string_view key, std::string_view wanted) {
    if (r.node(key, Need::optional) && !kind.empty() && kind != wanted) {
      r.error(key, fmt::format("applies only to type = \"{}\"", wanted));
      return false;
    }
    return true;
  };
  if (only_for("host", "tcp") && r.read("host", b.host)) {
    if (b.host.empty()) {
      r.error("host", "must not be empty");
    } else if (!is_host_name_or_address(b.host)) {
      r.error("host", fmt::format("'{}' is neither an IP address nor a host name", b.host));
    }
  }
  if (only_for("port", "tcp")) r.read("port", b.port, 1, 65535);
  if (only_for("pipeline_depth", "tcp")) r.read("pipeline_depth", b.pipeline_depth, 1, 16);
  if (only_for("device", "rtu")) {
    if (r.read("device", b.device, kind == "rtu" ? Need::required : Need::optional)) {
      if (b.device.empty()) {
        r.error("device", "must not be empty");
      } else if (b.device.front() != '/') {
        r.error("device",
                fmt::format("must be an absolute path such as /dev/ttyUSB0, got '{}'", b.device));
      }
    }
  }
  if (only_for("baud", "rtu") && r.read("baud", b.baud, 1, 10'000'000)) {
    if (!one_of(b.baud, kStandardBauds)) {
      r.error("baud", fmt::format("must be one of {}, got {}", join(kStandardBauds), b.baud));
    }
  }
  std::string parity(1, b.parity);
  if (only_for("parity", "rtu") && r.read("parity", parity)) {
    if (parity == "N" || parity == "E" || parity == "O") {
      b.parity = parity[0];
    } else {
      r.error("parity", fmt::format("must be \"N\", \"E\" or \"O\", got '{}'", parity));
    }
  }
  if (only_for("data_bits", "rtu")) r.read("data_bits", b.data_bits, 7, 8);
  if (only_for("stop_bits", "rtu")) r.read("stop_bits", b.stop_bits, 1, 2);
  r.read("timeout_ms", b.timeout_ms, 1, 60'000);
  r.read("cycle_ms", b.cycle_ms, 0, 3'600'000);
  r.read("broadcast_sample", b.broadcast_sample);
  site.buses.push_back(std::move(b));
}

void read_ups(TableReader& r, Site& site) {
  Ups u;
  if (r.read("id", u.id, 1, kMaxUpsPerGateway, Need::required) && site.find_ups(u.id)) {
    r.error("id", fmt::format("duplicate UPS id {}", u.id));
  }
  u.name = fmt::format("UPS {}", u.id);
  r.read("name", u.name);
  r.read("rated_power_kW", u.rated_power_kW, 0.0, 100'000.0);
  site.upses.push_back(std::move(u));
}

// Reads an I/O point and checks it against the modules the site has.
std::optional<IoPoint> read_point(TableReader& r, std::string_view key, std::string_view kind,
                                  const MasterController& mc, Need need) {
  std::string text;
  if (!r.read(key, text, need)) return std::nullopt;
  const auto point = parse_io_point(text);
  if (!point) {
    r.error(key, fmt::format("expected \"mc:K\" or \"lcJ:K\", got '{}'", text));
    return std::nullopt;
  }
  if (!mc.present) {
    r.error(key, "needs an [mc] section");
    return std::nullopt;
  }
  const bool input = kind == "input";
  const int max_index =
      point->lc == 0 ? (input ? kMcInputs : kMcRelays) : (input ? kLcInputs : kLcOutputs);
  if (point->lc > mc.lc_count) {
    r.error(key, fmt::format("lc index {} out of range 1..lc_count ({})", point->lc, mc.lc_count));
    return std::nullopt;
  }
  if (point->index > max_index) {
    r.error(key, fmt::format("{} {} out of range 1..{}", kind, point->index, max_index));
    return std::nullopt;
  }
  return point;
}

void read_mc(TableReader& root, Site& site, Registry& registry) {
  const auto* table = root.table("mc", Need::optional);
  if (!table) return;
  auto& mc = site.mc;
  mc.present = true;
  TableReader r(root.ctx(), *table, "mc");
  if (r.read("bus", mc.bus, Need::required) && !site.find_bus(mc.bus)) {
    r.error("bus", fmt::format("no [[bus]] named '{}'", mc.bus));
  }
  if (r.read("address", mc.address, kMinModbusAddress, kMaxModbusAddress, Need::required)) {
    registry.claim_addresses(mc.bus, Use{mc.address, mc.address, "mc", r.line_of_key("address")},
                             r.key_path("address"));
  }
  r.read("lc_count", mc.lc_count, 0, kMaxLcPerMc);
  r.read("watchdog_timeout_s", mc.watchdog_timeout_s, 1, 3600);
  r.each_table("th", [&](TableReader& t, int) {
    ThSensor th;
    if (t.read("index", th.index, 1, kMaxThPerMc, Need::required)) {
      for (const auto& other : mc.th) {
        if (other.index == th.index) {
          t.error("index", fmt::format("duplicate BM-TH index {}", th.index));
        }
      }
    }
    th.name = fmt::format("Ambient {}", th.index);
    t.read("name", th.name);
    mc.th.push_back(std::move(th));
  });
  r.each_table("input", [&](TableReader& t, int) {
    DigitalInput in;
    auto point = read_point(t, "point", "input", mc, Need::required);
    if (point) {
      in.point = *point;
      registry.claim_point("input", in.point, Use{0, 0, t.path(), t.line_of_key("point")},
                           t.key_path("point"));
    }
    t.read("name", in.name, Need::required);
    in.alarm_text = in.name;
    t.read("alarm_text", in.alarm_text);
    t.read("active_high", in.active_high);
    mc.inputs.push_back(std::move(in));
  });
  r.finish();
}

// The string's BM-CS range, BM-GS and BM-HS; claimed on its bus only when batteries and bus are
// known (claim), so a broken key does not also produce a false clash.
void read_string_addresses(TableReader& r, String& s, bool claim, Registry& registry) {
  const auto owner = [&](std::string_view what) { return fmt::format("{} {}", r.path(), what); };
  const bool cs_given = r.node("first_cs_address", Need::optional) != nullptr;
  if (r.read("first_cs_address", s.first_cs_address, kMinModbusAddress, kMaxModbusAddress) ||
      !cs_given) {
    const int last = s.first_cs_address + s.batteries - 1;
    if (last > kMaxModbusAddress) {
      r.error("first_cs_address", fmt::format("BM-CS addresses {}..{} exceed {}",
                                              s.first_cs_address, last, kMaxModbusAddress));
    } else if (claim) {
      registry.claim_addresses(s.bus,
                               Use{s.first_cs_address, last,
                                   owner(fmt::format("BM-CS {}..{}", s.first_cs_address, last)),
                                   r.line_of_key("first_cs_address")},
                               r.key_path("first_cs_address"));
    }
  }
  // 0 = the string has no such sensor.
  for (auto [key, address, what] : {std::tuple{"gs_address", &s.gs_address, "BM-GS"},
                                    std::tuple{"hs_address", &s.hs_address, "BM-HS"}}) {
    if (r.read(key, *address, 0, kMaxModbusAddress) && *address != 0 && claim) {
      registry.claim_addresses(s.bus, Use{*address, *address, owner(what), r.line_of_key(key)},
                               r.key_path(key));
    }
  }
}

// The contactor relay and its feedback input.
void read_string_io(TableReader& r, String& s, const MasterController& mc, Registry& registry) {
  s.disconnect_relay = read_point(r, "disconnect_relay", "relay", mc, Need::optional);
  if (s.disconnect_relay) {
    registry.claim_point(
        "relay", *s.disconnect_relay,
        Use{0, 0, r.key_path("disconnect_relay"), r.line_of_key("disconnect_relay")},
        r.key_path("disconnect_relay"));
  }
  s.relay_feedback = read_point(r, "relay_feedback", "input", mc, Need::optional);
  if (s.relay_feedback) {
    registry.claim_point("input", *s.relay_feedback,
                         Use{0, 0, r.key_path("relay_feedback"), r.line_of_key("relay_feedback")},
                         r.key_path("relay_feedback"));
  }
}

void read_string(TableReader& r, Site& site, Registry& registry) {
  String s;
  if (r.read("id", s.id, 1, kMaxStringsPerGateway, Need::required) && site.find_string(s.id)) {
    r.error("id", fmt::format("duplicate string id {}", s.id));
  }
  if (r.read("ups", s.ups_id, 1, kMaxUpsPerGateway, Need::required) && !site.find_ups(s.ups_id)) {
    r.error("ups", fmt::format("no [[ups]] with id {}", s.ups_id));
  }
  s.name = fmt::format("String {}", s.id);
  r.read("name", s.name);
  if (r.read("battery_type", s.battery_type, Need::required) &&
      !site.find_battery_type(s.battery_type)) {
    r.error("battery_type", fmt::format("no [[battery_type]] named '{}'", s.battery_type));
  }
  const bool have_count =
      r.read("batteries", s.batteries, 1, kMaxBatteriesPerString, Need::required);
  const bool have_bus = r.read("bus", s.bus, Need::required);
  if (have_bus && !site.find_bus(s.bus)) {
    r.error("bus", fmt::format("no [[bus]] named '{}'", s.bus));
  }
  read_string_addresses(r, s, have_count && have_bus, registry);
  if (r.read("current_range_A", s.current_range_A, 1, 100'000) &&
      !one_of(s.current_range_A, kCurrentRanges_A)) {
    r.error("current_range_A",
            fmt::format("must be one of {}, got {}", join(kCurrentRanges_A), s.current_range_A));
  }
  read_string_io(r, s, site.mc, registry);
  if (r.read("ambient_th", s.ambient_th, 0, kMaxThPerMc) && s.ambient_th != 0) {
    const auto& th = site.mc.th;
    if (std::none_of(th.begin(), th.end(),
                     [&](const ThSensor& t) { return t.index == s.ambient_th; })) {
      r.error("ambient_th", fmt::format("no [[mc.th]] with index {}", s.ambient_th));
    }
  }
  site.strings.push_back(std::move(s));
}

// Refuses more entries than one gateway handles, at the first entry too many.
void check_count(Context& ctx, const toml::table& root, std::string_view key, int max,
                 std::string_view what) {
  const auto* array = root.get_as<toml::array>(key);
  if (!array || static_cast<int>(array->size()) <= max) return;
  ctx.error(line_of((*array)[static_cast<std::size_t>(max)].source()), std::string(key),
            fmt::format("at most {} {} per gateway, found {}", max, what, array->size()));
}

void read_root(Context& ctx, const toml::table& root_table, Site& site) {
  TableReader root(ctx, root_table, "");
  Registry registry(ctx);
  read_site(root, site);
  read_history(root, site);
  // Read in dependency order, whatever order the file uses.
  root.each_table("battery_type", [&](TableReader& r, int) { read_battery_type(r, site); });
  root.each_table("bus", [&](TableReader& r, int) { read_bus(r, site); });
  root.each_table("ups", [&](TableReader& r, int) { read_ups(r, site); });
  read_mc(root, site, registry);
  root.each_table("string", [&](TableReader& r, int) { read_string(r, site, registry); });
  // [limits...] belongs to the engine (engine/config_fields.hpp reads it from the same file).
  if (const auto* limits = root.node("limits", Need::optional); limits && !limits->is_table()) {
    root.error("limits", "expected a table");
  }
  // [notify...] belongs to the notifications (notify/notify_config.hpp reads the same file).
  if (const auto* notify = root.node("notify", Need::optional); notify && !notify->is_table()) {
    root.error("notify", "expected a table");
  }
  // [cloud] belongs to the cloud link (cloud/cloud_config.hpp reads it from the same file).
  if (const auto* cloud = root.node("cloud", Need::optional); cloud && !cloud->is_table()) {
    root.error("cloud", "expected a table");
  }
  check_count(ctx, root_table, "ups", kMaxUpsPerGateway, "UPSs");
  check_count(ctx, root_table, "string", kMaxStringsPerGateway, "strings");
  if (site.strings.empty() && !root_table.get("string")) {
    ctx.error(1, "string", "at least one [[string]] is required");
  }
  root.finish();
}

std::optional<int> parse_number(std::string_view text) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value < 1) return std::nullopt;
  return value;
}

}  // namespace

std::string format_error(const ConfigError& error) {
  std::string out = error.file;
  if (error.line > 0) out += fmt::format(":{}", error.line);
  out += ": ";
  if (!error.key.empty()) out += error.key + ": ";
  out += error.reason;
  return out;
}

std::optional<IoPoint> parse_io_point(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto module = text.substr(0, colon);
  const auto index = parse_number(text.substr(colon + 1));
  if (!index) return std::nullopt;
  if (module == "mc") return IoPoint{0, *index};
  if (!module.starts_with("lc")) return std::nullopt;
  const auto lc = parse_number(module.substr(2));
  if (!lc) return std::nullopt;
  return IoPoint{*lc, *index};
}

std::string format_io_point(const IoPoint& point) {
  return point.lc == 0 ? fmt::format("mc:{}", point.index)
                       : fmt::format("lc{}:{}", point.lc, point.index);
}

ConfigResult parse_config_string(std::string_view toml_text, std::string file_name) {
  Context ctx{std::move(file_name), {}};
  Site site;
  try {
    const toml::table root = toml::parse(toml_text, ctx.file);
    read_root(ctx, root, site);
  } catch (const toml::parse_error& e) {
    ctx.error(line_of(e.source()), "", std::string(e.description()));
  }
  // Validation order is not file order; an operator reads the list top to bottom.
  std::stable_sort(ctx.errors.begin(), ctx.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  ConfigResult result;
  result.errors = std::move(ctx.errors);
  if (result.errors.empty()) result.site = std::move(site);
  return result;
}

ConfigResult parse_config_file(const std::string& path) {
  const auto unreadable = [&](std::string reason) {
    return ConfigResult{std::nullopt, {ConfigError{path, 0, "", std::move(reason)}}};
  };
  // A directory opens like a file on Linux and then reads as empty; say what it is instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return unreadable("is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return unreadable(fmt::format("cannot read the file: {}", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return unreadable("error while reading the file");
  return parse_config_string(text.str(), path);
}

std::string summarize(const Site& site) {
  std::string out = fmt::format("Site: {}\n", site.name);
  out += fmt::format("UPSs: {}\n", site.upses.size());
  for (const auto& u : site.upses) {
    out += fmt::format("  ups {}: {}, {} kW\n", u.id, u.name, u.rated_power_kW);
  }
  out += fmt::format("Strings: {}\n", site.strings.size());
  for (const auto& s : site.strings) {
    out += fmt::format("  string {}: {}, ups {}, {} x {}, bus {}, BM-CS {}..{}", s.id, s.name,
                       s.ups_id, s.batteries, s.battery_type, s.bus, s.first_cs_address,
                       s.first_cs_address + s.batteries - 1);
    if (s.gs_address != 0) out += fmt::format(", BM-GS {}", s.gs_address);
    if (s.hs_address != 0) out += fmt::format(", BM-HS {} ({} A)", s.hs_address, s.current_range_A);
    if (s.disconnect_relay) out += ", relay " + format_io_point(*s.disconnect_relay);
    if (s.relay_feedback) out += ", feedback " + format_io_point(*s.relay_feedback);
    if (s.ambient_th != 0) out += fmt::format(", ambient TH {}", s.ambient_th);
    out += '\n';
  }
  out += fmt::format("Battery types: {}\n", site.battery_types.size());
  for (const auto& t : site.battery_types) {
    out += fmt::format("  {}: {} V, {} cells, {} Ah, {}\n", t.name, t.nominal_voltage_V, t.cells,
                       t.capacity_Ah, to_string(t.chemistry));
  }
  out += fmt::format("Buses: {}\n", site.buses.size());
  for (const auto& b : site.buses) {
    if (b.kind == BusKind::tcp) {
      out += fmt::format("  {}: Modbus TCP {}:{}", b.name, b.host, b.port);
    } else {
      out += fmt::format("  {}: Modbus RTU {} {} {}{}{}", b.name, b.device, b.baud, b.data_bits,
                         b.parity, b.stop_bits);
    }
    out += fmt::format(", timeout {} ms, cycle {} ms\n", b.timeout_ms, b.cycle_ms);
  }
  if (site.mc.present) {
    const auto& mc = site.mc;
    out += fmt::format("MC: bus {}, address {}, {} BM-TH, {} BM-LC, watchdog {} s\n", mc.bus,
                       mc.address, mc.th.size(), mc.lc_count, mc.watchdog_timeout_s);
    for (const auto& in : mc.inputs) {
      out += fmt::format("  input {}: {}\n", format_io_point(in.point), in.name);
    }
  } else {
    out += "MC: none\n";
  }
  out += fmt::format("Total batteries: {}\n", site.total_batteries());
  return out;
}

}  // namespace btms::model
