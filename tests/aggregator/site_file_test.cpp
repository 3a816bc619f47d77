#include "aggregator/site_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace btms::aggregator {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "btms-agg-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(SiteFile, ReadsGatewaysWithTokenFilesRelativeToTheSiteFile) {
  TempDir dir;
  std::ofstream(dir.path() + "/hall-a.token") << "btms_secret\n";
  const auto site = parse_site_file(R"(
[site]
name = "DC North"

[[gateway]]
name = "hall-a"
url = "https://10.0.0.5:8443"
token_file = "hall-a.token"
cert_pin_sha256 = "AB:cd:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd"

[[gateway]]
name = "hall-b"
url = "http://10.0.0.6:8080/"
)",
                                    dir.path() + "/site.toml");
  EXPECT_EQ(site.site_name, "DC North");
  ASSERT_EQ(site.gateways.size(), 2U);
  EXPECT_EQ(site.gateways[0].name, "hall-a");
  EXPECT_EQ(site.gateways[0].token, "btms_secret");
  EXPECT_EQ(site.gateways[0].cert_pin_sha256,
            "abcd00112233445566778899aabbccddeeff00112233445566778899aabbccdd");
  EXPECT_EQ(site.gateways[1].token, "");
  EXPECT_EQ(site.gateways[1].cert_pin_sha256, "");
  EXPECT_NE(site.find("hall-b"), nullptr);
  EXPECT_EQ(site.find("hall-c"), nullptr);
}

struct BadCase {
  std::string text;
  const char* reason;  // part of the message
  int line;
};

TEST(SiteFile, RefusesBadFilesWithLineAndReason) {
  const BadCase cases[] = {
      {"", "no [[gateway]] listed", 0},
      {"[[gateway]]\nurl = \"http://a:1\"\n", "gateway needs 'name'", 1},
      {"[[gateway]]\nname = \"a\"\n", "gateway needs 'url'", 1},
      {"[[gateway]]\nname = \"Hall A\"\nurl = \"http://a:1\"\n", "use 1..32 of a-z", 2},
      {"[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\n[[gateway]]\nname = \"a\"\nurl = "
       "\"http://b:1\"\n",
       "listed twice", 5},
      {"[[gateway]]\nname = \"a\"\nurl = \"ftp://a:1\"\n", "must start with http://", 3},
      {"[[gateway]]\nname = \"a\"\nurl = \"http://a:1/api\"\n", "no path", 3},
      {"[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\ncert_pin_sha256 = \"abc\"\n",
       "64 hex digits", 4},
      {"[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\ntoken_file = \"/nonexistent/t\"\n",
       "cannot read token file", 4},
      {"[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\nport = 3\n", "unknown key gateway.port",
       4},
      {"[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\ncert_pin_sha256 = \"" +
           std::string(64, 'a') + "\"\n",
       "cert_pin_sha256 is for https:// URLs", 4},
      {"[[gateway]]\nname = \"a\"\nurl = \"https://a:1\"\nca_file = \"/nonexistent/ca.pem\"\n",
       "cannot read CA file /nonexistent/ca.pem", 4},
      {"[sight]\nname = \"x\"\n", "unknown table or key 'sight'", 1},
      {"[site]\nname = 3\n", "site.name must be a non-empty string", 2},
      {"[[gateway]]\nname = \"a\"\nurl = http\n", "", 3},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      parse_site_file(c.text, "site.toml");
      ADD_FAILURE() << "accepted";
    } catch (const SiteFileError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.reason), std::string::npos) << what;
      if (c.line > 0) {
        EXPECT_NE(what.find("site.toml:" + std::to_string(c.line) + ":"), std::string::npos)
            << what;
      }
    }
  }
}

TEST(SiteFile, HttpsGatewaysTakeAPinOrACaFileRelativeToTheSiteFile) {
  TempDir dir;
  std::ofstream(dir.path() + "/site-ca.pem") << "-----BEGIN CERTIFICATE-----\n";
  const auto site = parse_site_file(
      "[[gateway]]\nname = \"a\"\nurl = \"https://gw-a.example\"\nca_file = \"site-ca.pem\"\n",
      dir.path() + "/site.toml");
  ASSERT_EQ(site.gateways.size(), 1U);
  EXPECT_EQ(site.gateways[0].ca_file, dir.path() + "/site-ca.pem");
  EXPECT_EQ(site.gateways[0].cert_pin_sha256, "");
  try {
    parse_site_file(
        "[[gateway]]\nname = \"a\"\nurl = \"https://gw-a.example\"\nca_file = "
        "\"site-ca.pem\"\ncert_pin_sha256 = \"" +
            std::string(64, 'b') + "\"\n",
        dir.path() + "/site.toml");
    ADD_FAILURE() << "accepted a pin and a CA file";
  } catch (const SiteFileError& e) {
    EXPECT_NE(std::string(e.what()).find("not both"), std::string::npos) << e.what();
  }
}

TEST(SiteFile, ModbusServersAndTheSiteScadaEndpoint) {
  const auto site = parse_site_file(R"(
[[gateway]]
name = "a"
url = "http://10.0.0.5:8080"

[[gateway]]
name = "b"
url = "http://gw-b.example:8080"
modbus = "10.0.0.6:5020"
scada_port = 1600

[[gateway]]
name = "c"
url = "http://10.0.0.7:8080"
modbus = "[fd00::7]:1502"

[scada]
bind = "0.0.0.0"
port = 1502
)",
                                    "site.toml");
  ASSERT_EQ(site.gateways.size(), 3U);
  // Default: the URL's host, port 1502.
  EXPECT_EQ(site.gateways[0].modbus_host, "10.0.0.5");
  EXPECT_EQ(site.gateways[0].modbus_port, 1502);
  EXPECT_EQ(site.gateways[1].modbus_host, "10.0.0.6");
  EXPECT_EQ(site.gateways[1].modbus_port, 5020);
  EXPECT_EQ(site.gateways[2].modbus_host, "fd00::7");
  EXPECT_TRUE(site.scada.enabled);
  EXPECT_EQ(site.scada.bind, "0.0.0.0");
  EXPECT_EQ(site.scada.port, 1502);
  // Gateway k on port + k unless it names its own.
  EXPECT_EQ(gateway_scada_port(site, 1502, 1), 1503);
  EXPECT_EQ(gateway_scada_port(site, 1502, 2), 1600);
  EXPECT_EQ(gateway_scada_port(site, 1502, 3), 1505);
  // Port 0: free ports for every gateway without its own.
  EXPECT_EQ(gateway_scada_port(site, 0, 1), 0);
  EXPECT_EQ(gateway_scada_port(site, 0, 2), 1600);

  const auto plain = parse_site_file("[[gateway]]\nname = \"a\"\nurl = \"http://h:1\"\n", "s");
  EXPECT_FALSE(plain.scada.enabled);  // off without [scada]
  EXPECT_EQ(plain.gateways[0].modbus_host, "h");
}

TEST(SiteFile, RefusesBadScadaSettingsWithLineAndReason) {
  const std::string gw = "[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\n";
  const BadCase cases[] = {
      {gw + "modbus = \"a\"\n", "modbus must be \"HOST:PORT\"", 4},
      {gw + "modbus = \"a:0\"\n", "modbus must be \"HOST:PORT\"", 4},
      {gw + "modbus = \"a:70000\"\n", "modbus must be \"HOST:PORT\"", 4},
      {gw + "modbus = \"::1:502\"\n", "modbus must be \"HOST:PORT\"", 4},
      {gw + "modbus = 1502\n", "modbus must be \"HOST:PORT\"", 4},
      {gw + "scada_port = 0\n", "'scada_port' must be a port number 1..65535", 4},
      {gw + "scada_port = \"1502\"\n", "'scada_port' must be a port number", 4},
      {gw + "[scada]\nport = 70000\n", "'scada.port' must be a port number 0..65535", 5},
      {gw + "[scada]\nbind = \"localhost\"\n", "scada.bind must be an IPv4 address", 5},
      {gw + "[scada]\nlisten = 1\n", "unknown key scada.listen", 5},
      {"scada = 3\n" + gw, "[scada] must be a table", 1},
      // Gateway 1 on 65535 + 1.
      {gw + "[scada]\nport = 65535\n", "above 65535", 4},
      // Its own port clashes with the site port: reported at its scada_port.
      {"[scada]\nport = 1502\n" + gw + "scada_port = 1502\n", "already the site's", 6},
      // Gateway 2's own port is gateway 1's port + 1: reported at gateway 2's scada_port.
      {"[scada]\nport = 1502\n" + gw + gw.substr(0, 12) + "name = \"b\"\nurl = \"http://b:1\"\n" +
           "scada_port = 1503\n",
       "gateway 'b': SCADA port 1503", 9},
      // Two gateways with the same port, endpoint off: still refused.
      {gw + "scada_port = 1600\n" + gw.substr(0, 12) + "name = \"b\"\nurl = \"http://b:1\"\n" +
           "scada_port = 1600\n",
       "gateway 'b': SCADA port 1600", 8},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      parse_site_file(c.text, "site.toml");
      ADD_FAILURE() << "accepted";
    } catch (const SiteFileError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(c.reason), std::string::npos) << what;
      EXPECT_NE(what.find("site.toml:" + std::to_string(c.line) + ":"), std::string::npos) << what;
    }
  }
}

TEST(SiteFile, GatewayNames) {
  EXPECT_TRUE(is_valid_gateway_name("gw1"));
  EXPECT_TRUE(is_valid_gateway_name("hall_a-2"));
  EXPECT_FALSE(is_valid_gateway_name(""));
  EXPECT_FALSE(is_valid_gateway_name("Hall"));
  EXPECT_FALSE(is_valid_gateway_name("a/b"));
  EXPECT_FALSE(is_valid_gateway_name(std::string(33, 'a')));
  EXPECT_TRUE(is_valid_gateway_name(std::string(32, 'a')));
}

}  // namespace
}  // namespace btms::aggregator

namespace btms::aggregator {
namespace {

// [notify] is read by the notifications part's own parser, as in a gateway's site file.
TEST(SiteFile, NotifyIsReadAsAGatewaysSiteFileHasIt) {
  const auto without = parse_site_file("[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\n", "");
  EXPECT_FALSE(without.notify.enabled);
  const auto site = parse_site_file(R"(
[[gateway]]
name = "hall-a"
url = "http://10.0.0.5:8080"

[notify]
base_url = "https://site.example.net"
group_wait_s = 10

[[notify.recipient]]
name = "ops"
channel = "webhook"
url = "http://10.0.0.9/hook"
level = "warnings"
sources = ["hall-a/string/3", "hall-a", "site"]
)",
                                    "");
  ASSERT_TRUE(site.notify.enabled);
  EXPECT_EQ(site.notify.routing.base_url, "https://site.example.net");
  EXPECT_EQ(site.notify.routing.group_wait_ms, 10'000);
  ASSERT_EQ(site.notify.recipients.size(), 1u);
  EXPECT_EQ(site.notify.recipients[0].address, "http://10.0.0.9/hook");
  EXPECT_EQ(site.notify.recipients[0].sources,
            (std::vector<std::string>{"hall-a/string/3", "hall-a", "site"}));
}

TEST(SiteFile, CloudIsReadAsAGatewaysSiteFileHasIt) {
  const auto without = parse_site_file("[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\n", "");
  EXPECT_FALSE(without.cloud.enabled);
  const auto site = parse_site_file(
      "[site]\nname = \"DC Frankfurt\"\n[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\n\n"
      "[cloud]\nbroker = \"mqtt://10.0.0.9:1883\"\nsummary_interval_s = 5\n",
      "");
  ASSERT_TRUE(site.cloud.enabled);
  EXPECT_EQ(site.cloud.broker.host, "10.0.0.9");
  EXPECT_EQ(site.cloud.broker.port, 1883);
  EXPECT_EQ(site.cloud.summary_interval_s, 5);
  EXPECT_EQ(site.cloud.site_id, "dc-frankfurt");
  EXPECT_EQ(site.cloud.gateway_id, "site");
  try {
    parse_site_file(
        "[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\n\n[cloud]\nbroker = "
        "\"mqtt://b:1883\"\nkeepalive_s = 1\n",
        "site.toml");
    ADD_FAILURE() << "accepted";
  } catch (const SiteFileError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("site.toml:7: cloud.keepalive_s"), std::string::npos) << what;
  }
}

TEST(SiteFile, RefusesABadNotifyTableWithLineAndReason) {
  try {
    parse_site_file(
        "[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\n\n[notify]\n[[notify.recipient]]\n"
        "name = \"ops\"\nchannel = \"pigeon\"\n",
        "site.toml");
    ADD_FAILURE() << "accepted";
  } catch (const SiteFileError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("site.toml:8:"), std::string::npos) << what;
    EXPECT_NE(what.find("expected \"mail\", \"webhook\" or \"snmp\""), std::string::npos) << what;
  }
  // Sources name a listed gateway: a gateway's own spelling alone means nothing at the site.
  for (const char* source : {"string/3", "hall-b/string/3", "a/site", "a/string/x"}) {
    SCOPED_TRACE(source);
    try {
      parse_site_file(std::string("[[gateway]]\nname = \"a\"\nurl = \"http://a:1\"\n\n[notify]\n"
                                  "[[notify.recipient]]\nname = \"ops\"\nchannel = \"webhook\"\n"
                                  "url = \"http://h/\"\nsources = [\"") +
                          source + "\"]\n",
                      "site.toml");
      ADD_FAILURE() << "accepted";
    } catch (const SiteFileError& e) {
      EXPECT_NE(std::string(e.what()).find("site.toml:10:"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("of a listed gateway"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace btms::aggregator
