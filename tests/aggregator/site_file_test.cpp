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
