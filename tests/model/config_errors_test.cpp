// One case per kind of configuration error: each names the line, the key path and the reason.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "model/config/config_parser.hpp"

namespace btms::model {
namespace {

// A valid site; the line numbers in the cases below refer to this text.
constexpr std::string_view kBase =
    "[site]\n"                       // 1
    "name = \"T\"\n"                 // 2
    "[[battery_type]]\n"             // 3
    "name = \"B12\"\n"               // 4
    "nominal_voltage_V = 12\n"       // 5
    "capacity_Ah = 100\n"            // 6
    "[[bus]]\n"                      // 7
    "name = \"b1\"\n"                // 8
    "type = \"tcp\"\n"               // 9
    "port = 1502\n"                  // 10
    "[[ups]]\n"                      // 11
    "id = 1\n"                       // 12
    "[mc]\n"                         // 13
    "bus = \"b1\"\n"                 // 14
    "address = 100\n"                // 15
    "lc_count = 1\n"                 // 16
    "[[mc.th]]\n"                    // 17
    "index = 1\n"                    // 18
    "[[mc.input]]\n"                 // 19
    "point = \"mc:5\"\n"             // 20
    "name = \"Door\"\n"              // 21
    "[[string]]\n"                   // 22
    "id = 1\n"                       // 23
    "ups = 1\n"                      // 24
    "battery_type = \"B12\"\n"       // 25
    "batteries = 40\n"               // 26
    "bus = \"b1\"\n"                 // 27
    "gs_address = 201\n"             // 28
    "hs_address = 202\n"             // 29
    "disconnect_relay = \"mc:1\"\n"  // 30
    "relay_feedback = \"mc:1\"\n"    // 31
    "ambient_th = 1\n";              // 32 (appended text starts at line 33)

// A second bus and string that do not clash with the base (appended at line 33).
constexpr std::string_view kSecondString =
    "[[bus]]\n"                 // 33
    "name = \"b2\"\n"           // 34
    "type = \"tcp\"\n"          // 35
    "[[string]]\n"              // 36
    "id = 2\n"                  // 37
    "ups = 1\n"                 // 38
    "battery_type = \"B12\"\n"  // 39
    "batteries = 10\n"          // 40
    "bus = \"b2\"\n";           // 41

constexpr std::string_view kRtuBus =
    "[[bus]]\n"                   // 33
    "name = \"r1\"\n"             // 34
    "type = \"rtu\"\n"            // 35
    "device = \"/dev/ttyS0\"\n";  // 36

struct ErrorCase {
  const char* name;
  std::string_view from;  // replaced in kBase ("" = nothing replaced)
  std::string_view to;
  std::string append;  // added after kBase (and after the replacement)
  int line;
  const char* key;
  const char* reason;     // substring of the reason
  std::size_t count = 1;  // expected number of errors, 0 = do not check
};

// Names the case in gtest's failure messages instead of dumping its bytes.
void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << c.name;
}

std::string build(const ErrorCase& c) {
  std::string text(kBase);
  if (!c.from.empty()) {
    const auto at = text.find(c.from);
    EXPECT_NE(at, std::string::npos) << c.from;
    if (at != std::string::npos) text.replace(at, c.from.size(), c.to);
  }
  return text + c.append;
}

std::string many(std::string_view table, int first_id, int last_id) {
  std::string out;
  for (int id = first_id; id <= last_id; ++id) {
    out += "[[" + std::string(table) + "]]\nid = " + std::to_string(id) + "\n";
  }
  return out;
}

const ErrorCase kCases[] = {
    {"history_backend_unknown", "", "", "[history]\nbackend = \"mysql\"\n", 34, "history.backend",
     "must be \"sqlite\" or \"postgresql\""},
    {"history_postgres_without_connection", "", "", "[history]\nbackend = \"postgresql\"\n", 33,
     "history.postgresql", "needs a connection string"},
    {"history_unknown_key", "", "", "[history]\nfile = \"x.db\"\n", 34, "history.file",
     "unknown key"},
    {"syntax", "batteries = 40", "batteries = = 40", "", 26, "", "Error while parsing", 1},
    {"unknown_key_string", "", "", "colour = \"red\"\n", 33, "string[1].colour", "unknown key"},
    {"unknown_top_table", "", "", "[[strings]]\nid = 2\n", 33, "strings", "unknown key"},
    {"unknown_key_th", "index = 1\n", "index = 1\nlabel = \"x\"\n", "", 19, "mc.th[1].label",
     "unknown key"},
    {"wrong_type", "batteries = 40", "batteries = \"40\"", "", 26, "string[1].batteries",
     "expected integer, got string"},
    {"wrong_type_table", "[site]\nname = \"T\"", "site = 5\n", "", 1, "site",
     "expected table, got integer"},
    {"missing_key", "batteries = 40", "", "", 22, "string[1].batteries", "missing required key"},
    {"missing_site", "[site]\nname = \"T\"", "\n", "", 1, "site", "missing required key"},
    {"missing_rtu_device", "", "", "[[bus]]\nname = \"r\"\ntype = \"rtu\"\n", 33, "bus[2].device",
     "missing required key"},
    {"batteries_high", "batteries = 40", "batteries = 121", "", 26, "string[1].batteries",
     "out of range 1..120"},
    {"batteries_zero", "batteries = 40", "batteries = 0", "", 26, "string[1].batteries",
     "out of range 1..120"},
    {"ups_id_range", "", "", "[[ups]]\nid = 33\n", 34, "ups[2].id", "out of range 1..32"},
    {"string_id_range", "id = 1\nups = 1", "id = 33\nups = 1", "", 23, "string[1].id",
     "out of range 1..32"},
    {"address_range", "gs_address = 201", "gs_address = 248", "", 28, "string[1].gs_address",
     "out of range 0..247"},
    {"mc_address_range", "address = 100", "address = 0", "", 15, "mc.address",
     "out of range 1..247"},
    {"cs_range_exceeds", "batteries = 40", "batteries = 40\nfirst_cs_address = 230", "", 27,
     "string[1].first_cs_address", "230..269 exceed 247"},
    {"baud", "", "", std::string(kRtuBus) + "baud = 12345\n", 37, "bus[2].baud",
     "must be one of 1200"},
    {"parity", "", "", std::string(kRtuBus) + "parity = \"X\"\n", 37, "bus[2].parity",
     "must be \"N\", \"E\" or \"O\""},
    {"port_range", "port = 1502", "port = 0", "", 10, "bus[1].port", "out of range 1..65535"},
    {"pipeline_depth_range", "port = 1502", "port = 1502\npipeline_depth = 17", "", 11,
     "bus[1].pipeline_depth", "out of range 1..16"},
    {"pipeline_depth_zero", "port = 1502", "port = 1502\npipeline_depth = 0", "", 11,
     "bus[1].pipeline_depth", "out of range 1..16"},
    {"pipeline_depth_on_rtu", "", "", std::string(kRtuBus) + "pipeline_depth = 4\n", 37,
     "bus[2].pipeline_depth", "applies only to type = \"tcp\""},
    // Issue 17 item 10: empty or invalid hosts, empty RTU devices and names with control
    // characters were accepted.
    {"host_empty", "port = 1502", "host = \"\"", "", 10, "bus[1].host", "must not be empty"},
    {"host_invalid", "port = 1502", "host = \"plc one\"", "", 10, "bus[1].host",
     "neither an IP address nor a host name"},
    {"host_bad_label", "port = 1502", "host = \"-plc.example\"", "", 10, "bus[1].host",
     "neither an IP address nor a host name"},
    {"host_empty_label", "port = 1502", "host = \"plc..example\"", "", 10, "bus[1].host",
     "neither an IP address nor a host name"},
    {"rtu_device_empty", "", "", "[[bus]]\nname = \"r\"\ntype = \"rtu\"\ndevice = \"\"\n", 36,
     "bus[2].device", "must not be empty"},
    {"rtu_device_relative", "", "", "[[bus]]\nname = \"r\"\ntype = \"rtu\"\ndevice = \"ttyS0\"\n",
     36, "bus[2].device", "absolute path"},
    {"name_control_char", "name = \"T\"", "name = \"T\\nforged log line\"", "", 2, "site.name",
     "control character (code 10)"},
    {"input_name_escape", "name = \"Door\"", "name = \"Door\\u001b[31m\"", "", 21,
     "mc.input[1].name", "control character (code 27)"},
    {"tcp_key_on_rtu", "", "", std::string(kRtuBus) + "port = 1502\n", 37, "bus[2].port",
     "applies only to type = \"tcp\""},
    {"bus_type", "type = \"tcp\"", "type = \"udp\"", "", 9, "bus[1].type", "\"tcp\" or \"rtu\""},
    {"too_many_ups", "", "", many("ups", 2, 33), 95, "ups", "at most 32 UPSs", 0},
    {"too_many_strings", "", "", many("string", 2, 33), 95, "string", "at most 32 strings", 0},
    {"current_range", "hs_address = 202", "hs_address = 202\ncurrent_range_A = 300", "", 30,
     "string[1].current_range_A", "must be one of 100, 200, 400, 800, 1000"},
    {"nominal_voltage", "nominal_voltage_V = 12", "nominal_voltage_V = 24", "", 5,
     "battery_type[1].nominal_voltage_V", "must be 2, 6 or 12"},
    {"cells_mismatch", "capacity_Ah = 100", "capacity_Ah = 100\ncells = 3", "", 7,
     "battery_type[1].cells", "has 6 cells, got 3"},
    {"chemistry", "capacity_Ah = 100", "capacity_Ah = 100\nchemistry = \"lithium\"", "", 7,
     "battery_type[1].chemistry", "vrla_agm, vrla_gel or flooded"},
    {"lc_index", "disconnect_relay = \"mc:1\"", "disconnect_relay = \"lc2:1\"", "", 30,
     "string[1].disconnect_relay", "lc index 2 out of range 1..lc_count (1)"},
    {"relay_index", "disconnect_relay = \"mc:1\"", "disconnect_relay = \"mc:17\"", "", 30,
     "string[1].disconnect_relay", "relay 17 out of range 1..16"},
    {"point_syntax", "point = \"mc:5\"", "point = \"door\"", "", 20, "mc.input[1].point",
     "expected \"mc:K\" or \"lcJ:K\""},
    {"th_index", "index = 1", "index = 33", "", 18, "mc.th[1].index", "out of range 1..32", 2},
    {"lc_count", "lc_count = 1", "lc_count = 5", "", 16, "mc.lc_count", "out of range 0..4"},
    {"duplicate_ups", "", "", "[[ups]]\nid = 1\n", 34, "ups[2].id", "duplicate UPS id 1"},
    {"duplicate_string_id", "", "",
     "[[bus]]\nname = \"b2\"\ntype = \"tcp\"\n[[string]]\nid = 1\nups = 1\n"
     "battery_type = \"B12\"\nbatteries = 10\nbus = \"b2\"\n",
     37, "string[2].id", "duplicate string id 1"},
    {"duplicate_bus", "", "", "[[bus]]\nname = \"b1\"\ntype = \"tcp\"\n", 34, "bus[2].name",
     "duplicate bus 'b1'"},
    {"duplicate_battery_type", "", "",
     "[[battery_type]]\nname = \"B12\"\nnominal_voltage_V = 6\ncapacity_Ah = 10\n", 34,
     "battery_type[2].name", "duplicate battery type 'B12'"},
    {"duplicate_th", "", "", "[[mc.th]]\nindex = 1\n", 34, "mc.th[2].index",
     "duplicate BM-TH index 1"},
    {"missing_ups", "ups = 1", "ups = 2", "", 24, "string[1].ups", "no [[ups]] with id 2"},
    {"missing_battery_type", "battery_type = \"B12\"", "battery_type = \"B6\"", "", 25,
     "string[1].battery_type", "no [[battery_type]] named 'B6'"},
    {"missing_bus", "bus = \"b1\"\ngs", "bus = \"b9\"\ngs", "", 27, "string[1].bus",
     "no [[bus]] named 'b9'"},
    {"missing_mc_bus", "bus = \"b1\"\naddress", "bus = \"b9\"\naddress", "", 14, "mc.bus",
     "no [[bus]] named 'b9'"},
    {"missing_th", "ambient_th = 1", "ambient_th = 2", "", 32, "string[1].ambient_th",
     "no [[mc.th]] with index 2"},
    {"address_clash_cs_gs", "gs_address = 201", "gs_address = 40", "", 28, "string[1].gs_address",
     "duplicate Modbus address 40 on bus 'b1': string[1] BM-GS and string[1] BM-CS 1..40 (line "
     "22)"},
    {"address_clash_mc_hs", "address = 100", "address = 202", "", 29, "string[1].hs_address",
     "string[1] BM-HS and mc (line 15)"},
    {"address_clash_cs_ranges", "", "",
     "[[string]]\nid = 2\nups = 1\nbattery_type = \"B12\"\nbatteries = 10\nbus = \"b1\"\n"
     "first_cs_address = 35\n",
     39, "string[2].first_cs_address",
     "addresses 35..40 on bus 'b1': string[2] BM-CS 35..44 and string[1] BM-CS 1..40"},
    {"relay_twice", "", "", std::string(kSecondString) + "disconnect_relay = \"mc:1\"\n", 42,
     "string[2].disconnect_relay",
     "relay mc:1 used twice: string[2].disconnect_relay and string[1].disconnect_relay (line "
     "30)"},
    {"input_twice", "relay_feedback = \"mc:1\"", "relay_feedback = \"mc:5\"", "", 31,
     "string[1].relay_feedback", "input mc:5 used twice: string[1].relay_feedback and mc.input[1]"},
    {"mc_input_twice", "", "", "[[mc.input]]\npoint = \"mc:5\"\nname = \"Leak\"\n", 34,
     "mc.input[2].point", "input mc:5 used twice: mc.input[2] and mc.input[1] (line 20)"},
    {"relay_without_mc",
     "[mc]\nbus = \"b1\"\naddress = 100\nlc_count = 1\n[[mc.th]]\nindex = 1\n"
     "[[mc.input]]\npoint = \"mc:5\"\nname = \"Door\"\n",
     "", "", 0, "string[1].disconnect_relay", "needs an [mc] section", 0},
    {"no_strings", "[[string]]", "[[other]]", "", 1, "string", "at least one [[string]]", 0},
};

class ConfigErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(ConfigErrorTest, ReportsLineKeyAndReason) {
  const auto& c = GetParam();
  const auto result = parse_config_string(build(c), "site.toml");
  EXPECT_FALSE(result.site.has_value());
  ASSERT_FALSE(result.errors.empty());
  std::string all;
  for (const auto& e : result.errors) all += format_error(e) + "\n";
  if (c.count != 0) {
    EXPECT_EQ(result.errors.size(), c.count) << all;
  }
  bool found = false;
  for (const auto& e : result.errors) {
    if (e.key == c.key && (c.line == 0 || e.line == c.line) &&
        e.reason.find(c.reason) != std::string::npos) {
      found = true;
      EXPECT_EQ(e.file, "site.toml");
    }
  }
  EXPECT_TRUE(found) << "wanted line " << c.line << " key '" << c.key << "' reason '" << c.reason
                     << "', got:\n"
                     << all;
}

INSTANTIATE_TEST_SUITE_P(AllKinds, ConfigErrorTest, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConfigParser, HostsThatAreValid) {
  for (const char* host : {"127.0.0.1", "::1", "fe80::1", "plc-1.site.example", "gw", "10.0.0.5"}) {
    std::string text(kBase);
    text.replace(text.find("port = 1502"), 11, std::string("host = \"") + host + "\"");
    const auto result = parse_config_string(text, "site.toml");
    EXPECT_TRUE(result.site.has_value()) << host;
  }
}

TEST(ConfigParser, BaseIsValid) {
  const auto result = parse_config_string(kBase, "site.toml");
  ASSERT_TRUE(result.errors.empty()) << format_error(result.errors.front());
  ASSERT_TRUE(result.site.has_value());
  EXPECT_EQ(result.site->strings.size(), 1u);
}

TEST(ConfigParser, CollectsEveryError) {
  std::string text(kBase);
  text.replace(text.find("batteries = 40"), 14, "batteries = 500");
  text.replace(text.find("port = 1502"), 11, "port = 70000");
  text += "typo = 1\n";
  const auto result = parse_config_string(text, "x.toml");
  ASSERT_EQ(result.errors.size(), 3u);
  EXPECT_EQ(result.errors[0].key, "bus[1].port");
  EXPECT_EQ(result.errors[1].key, "string[1].batteries");
  EXPECT_EQ(result.errors[2].key, "string[1].typo");
}

TEST(ConfigParser, FormatError) {
  EXPECT_EQ(format_error({"a.toml", 7, "string[3].batteries", "out of range"}),
            "a.toml:7: string[3].batteries: out of range");
  EXPECT_EQ(format_error({"a.toml", 2, "", "bad syntax"}), "a.toml:2: bad syntax");
  EXPECT_EQ(format_error({"a.toml", 0, "", "cannot read the file"}),
            "a.toml: cannot read the file");
}

TEST(ConfigParser, UnreadableFileGivesOneError) {
  const auto result = parse_config_file("/nonexistent/dir/site.toml");
  EXPECT_FALSE(result.site.has_value());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].file, "/nonexistent/dir/site.toml");
  EXPECT_EQ(result.errors[0].line, 0);
  EXPECT_NE(result.errors[0].reason.find("cannot read"), std::string::npos);
}

TEST(ConfigParser, DirectoryGivesOneError) {
  const auto result = parse_config_file(BTMS_SOURCE_DIR);
  EXPECT_FALSE(result.site.has_value());
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_NE(result.errors[0].reason.find("directory"), std::string::npos);
}

TEST(ConfigParser, EmptyTextNamesWhatIsMissing) {
  const auto result = parse_config_string("", "empty.toml");
  ASSERT_EQ(result.errors.size(), 2u);
  EXPECT_EQ(format_error(result.errors[0]), "empty.toml:1: site: missing required key");
  EXPECT_EQ(format_error(result.errors[1]),
            "empty.toml:1: string: at least one [[string]] is required");
}

TEST(ConfigParser, IoPointSyntax) {
  EXPECT_EQ(parse_io_point("mc:3"), (IoPoint{0, 3}));
  EXPECT_EQ(parse_io_point("lc1:5"), (IoPoint{1, 5}));
  EXPECT_EQ(parse_io_point("lc4:16"), (IoPoint{4, 16}));
  for (const char* bad : {"", "mc", "mc:", "mc:0", "mc:-1", "mc:x", "lc:1", "lc0:1", "lcx:2",
                          "xx:1", "mc:1:2", "mc :1"}) {
    EXPECT_FALSE(parse_io_point(bad).has_value()) << bad;
  }
  EXPECT_EQ(format_io_point({0, 3}), "mc:3");
  EXPECT_EQ(format_io_point({2, 7}), "lc2:7");
}

}  // namespace
}  // namespace btms::model
