// Editing the cloud link's settings without a broker: the data folder's store (private, whole,
// versioned), every bad field refused with its own reason and nothing saved, edits that
// override the site file field by field and say so, the password kept but never answered, and
// a link turned on and off by a change.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cloud/cloud_link_control.hpp"
#include "cloud/cloud_settings_edit.hpp"
#include "cloud/cloud_settings_store.hpp"
#include "cloud_fixture.hpp"
#include "link_test_bus.hpp"

namespace btms::cloud {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

class TempFolder {
 public:
  TempFolder() {
    char pattern[] = "/tmp/btms-cloudedit-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempFolder() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The site file's settings: a link to a loopback port where nobody listens (the link keeps
// trying; these tests look at settings, not at messages).
CloudConfig site_file_settings() {
  CloudConfig config = test::broker_test_config(1);
  config.username = "btms";
  config.password = "s3cret-from-site-file";
  return config;
}

// Makes real links on the test's bus and counts them.
struct Links {
  explicit Links(std::string outbox) : outbox_path(std::move(outbox)) {}
  CloudLinkFactory factory() {
    return [this](const CloudConfig& config) {
      ++made;
      return std::make_unique<CloudLink>(config, site, bus.sources(), outbox_path,
                                         model::system_clock());
    };
  }
  model::Site site = test::make_site(1, 2);
  test::Bus bus;
  std::string outbox_path;
  int made = 0;
};

TEST(CloudSettingsStore, RoundTripIsPrivateWholeAndVersioned) {
  TempFolder folder;
  const auto path = cloud_settings_path(folder.path());
  EXPECT_EQ(load_cloud_edits(path), json::object()) << "no file: no edits";
  const json edits{{"broker", "mqtts://mq.example.com:8883"},
                   {"password", "p4ss"},
                   {"deadband_voltage_V", 0.02}};
  ASSERT_EQ(save_cloud_edits(path, edits), "");
  EXPECT_EQ(load_cloud_edits(path), edits);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the file holds a password";
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  // A leftover temp file of a crash, readable by all, does not make the next file readable.
  { std::ofstream(path + ".tmp") << "half"; }
  fs::permissions(path + ".tmp", fs::perms::all);
  ASSERT_EQ(save_cloud_edits(path, json{{"username", "u"}}), "");
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(load_cloud_edits(path), (json{{"username", "u"}}));
  ASSERT_EQ(save_cloud_edits(path, json::object()), "");
  EXPECT_FALSE(fs::exists(path)) << "no edits: no file";

  { std::ofstream(path) << R"({"settings_version": 2, "edited": {}})"; }
  try {
    load_cloud_edits(path);
    ADD_FAILURE() << "a newer file was read";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer BTMS"), std::string::npos) << e.what();
  }
  { std::ofstream(path) << "not json"; }
  EXPECT_THROW(load_cloud_edits(path), std::runtime_error);
}

TEST(CloudSettingsEdit, EveryBadFieldIsRefusedWithItsReasonAndNothingIsSaved) {
  TempFolder folder;
  const auto ca = folder.path() + "/ca.pem";
  { std::ofstream(ca) << "not checked for content here"; }
  Links links(folder.path() + "/outbox.db");
  CloudLinkControl control(site_file_settings(), cloud_settings_path(folder.path()),
                           links.factory());
  struct Case {
    std::string body;
    std::string field;
    std::string reason;  // part of the error
  };
  const std::vector<Case> cases = {
      {"[1]", "", "body must be a JSON object"},
      {R"({"colour":"red"})", "colour", "unknown setting"},
      {R"({"enabled":"yes"})", "enabled", "true or false"},
      {R"({"broker":"http://h:1883"})", "broker", "expected mqtt://HOST[:PORT] or mqtts://"},
      {R"({"broker":"mqtt://"})", "broker", "no host"},
      {R"({"broker":"mqtt://h:0"})", "broker", "port must be 1..65535"},
      {R"({"broker":"mqtts://h:65536"})", "broker", "port must be 1..65535"},
      {R"({"broker":"","enabled":true})", "broker", "required to turn the link on"},
      {R"({"format":"xml"})", "format", R"(must be "json" or "sparkplug", got "xml")"},
      {R"({"format":"sparkplug","home_assistant":true})", "home_assistant", "needs format"},
      {R"({"keepalive_s":1})", "keepalive_s", "between 5 and 3600, got 1"},
      {R"({"keepalive_s":"30"})", "keepalive_s", "whole number"},
      {R"({"battery_interval_s":0})", "battery_interval_s", "between 1 and 86400"},
      {R"({"summary_interval_s":86401})", "summary_interval_s", "between 1 and 86400"},
      {R"({"deadband_voltage_V":10.5})", "deadband_voltage_V", "between 0 and 10, got 10.5"},
      {R"({"deadband_temperature_C":-1})", "deadband_temperature_C", "between 0 and 50"},
      {R"({"deadband_resistance_mOhm":101})", "deadband_resistance_mOhm", "between 0 and 100"},
      {R"({"deadband_percent":"1"})", "deadband_percent", "must be a number"},
      {R"({"site_id":"dc/1"})", "site_id", "letters, digits, '-' and '_' only"},
      {R"({"gateway_id":"gw+"})", "gateway_id", "one topic level"},
      {R"({"home_assistant_prefix":"home#"})", "home_assistant_prefix", "one topic level"},
      {R"({"client_id":"has space"})", "client_id", "no spaces"},
      {R"({"username":"a\nb"})", "username", "control characters"},
      {R"({"ca_file":"ca.pem"})", "ca_file", "absolute path"},
      {R"({"ca_file":"/nonexistent/ca.pem"})", "ca_file", "no such file: /nonexistent/ca.pem"},
      {json{{"ca_file", folder.path()}}.dump(), "ca_file", "not a file"},
      {json{{"cert_file", ca}}.dump(), "key_file", "needs both cert_file and key_file"},
      {R"({"broker":"mqtt://other.example.com:1883"})", "password",
       "the stored password is for mqtt://127.0.0.1:1; type it again"},
  };
  for (const auto& c : cases) {
    const auto answer = control.change(c.body);
    EXPECT_EQ(answer.status, 400) << c.body << " -> " << answer.body;
    const auto j = json::parse(answer.body);
    const auto error = j.value("error", std::string());
    EXPECT_NE(error.find(c.reason), std::string::npos) << c.body << " -> " << error;
    EXPECT_EQ(j.value("field", std::string()), c.field) << c.body;
    EXPECT_TRUE(error.starts_with(c.field)) << error;
    EXPECT_NE(answer.audit_detail.find("refused: " + error), std::string::npos);
    EXPECT_FALSE(answer.changed);
  }
  EXPECT_FALSE(fs::exists(cloud_settings_path(folder.path()))) << "a refusal saves nothing";
  EXPECT_EQ(links.made, 0) << "a refusal leaves the link alone";
  // A good file, both halves of a certificate, and a new password for a new broker are taken.
  const auto ok = control.change(
      json{{"ca_file", ca}, {"broker", "mqtt://127.0.0.1:2"}, {"password", "new"}}.dump());
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(links.made, 1);
  control.stop();
}

TEST(CloudSettingsEdit, EditsOverrideTheSiteFileFieldByFieldAndTheAnswersNeverHoldThePassword) {
  TempFolder folder;
  const auto path = cloud_settings_path(folder.path());
  Links links(folder.path() + "/outbox.db");
  const auto base = site_file_settings();
  {
    CloudLinkControl control(base, path, links.factory());
    control.start();
    ASSERT_EQ(links.made, 1);
    auto j = json::parse(control.settings_json());
    EXPECT_EQ(j["editable"], true);
    EXPECT_EQ(j["edited"], false);
    for (const auto& [field, source] : j["sources"].items())
      EXPECT_EQ(source, "site file") << field;
    EXPECT_EQ(j["sources"].size(), editable_fields().size());

    // The whole form, as the page sends it: only what differs from the site file is an edit.
    auto form = j;
    for (const char* key :
         {"password_set", "tls", "topics", "sources", "edited", "editable", "link"})
      form.erase(key);
    form["format"] = "sparkplug";
    form["battery_interval_s"] = 30;
    form["password"] = "n3w-s3cret";
    const auto changed = control.change(form.dump());
    ASSERT_EQ(changed.status, 200) << changed.body;
    EXPECT_TRUE(changed.changed);
    EXPECT_EQ(links.made, 2) << "the link was replaced";
    for (const auto& text : {changed.body, changed.audit_detail, control.settings_json()}) {
      EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
    }
    EXPECT_NE(changed.audit_detail.find("format: \"json\" -> \"sparkplug\""), std::string::npos)
        << changed.audit_detail;
    EXPECT_NE(changed.audit_detail.find("password changed"), std::string::npos);
    j = json::parse(control.settings_json());
    EXPECT_EQ(j["format"], "sparkplug");
    EXPECT_EQ(j["topics"], "spBv1.0/dc1/+/gw1/#");
    EXPECT_EQ(j["password_set"], true);
    EXPECT_FALSE(j.contains("password"));
    EXPECT_EQ(j["edited"], true);
    EXPECT_EQ(j["sources"]["format"], "edited");
    EXPECT_EQ(j["sources"]["battery_interval_s"], "edited");
    EXPECT_EQ(j["sources"]["password"], "edited");
    EXPECT_EQ(j["sources"]["username"], "site file");
    EXPECT_EQ(j["sources"]["broker"], "site file");
    EXPECT_EQ(control.settings().password, "n3w-s3cret");
    EXPECT_NE(read_text(path).find("\"n3w-s3cret\""), std::string::npos) << "stored for the link";
    EXPECT_EQ(
        load_cloud_edits(path),
        (json{{"format", "sparkplug"}, {"battery_interval_s", 30}, {"password", "n3w-s3cret"}}));

    // The same form again changes nothing and keeps the running link.
    EXPECT_EQ(control.change(form.dump()).audit_detail, "no change");
    EXPECT_EQ(links.made, 2);
    // A field set back to the site file's value is no edit any more; a blank (null) password
    // keeps the stored one.
    const auto back = control.change(R"({"format":"json","password":null})");
    ASSERT_EQ(back.status, 200) << back.body;
    EXPECT_EQ(load_cloud_edits(path),
              (json{{"battery_interval_s", 30}, {"password", "n3w-s3cret"}}));
    control.stop();
  }
  {
    // A restarted gateway runs with the saved edits.
    CloudLinkControl control(base, path, links.factory());
    EXPECT_EQ(control.settings().battery_interval_s, 30);
    EXPECT_EQ(control.settings().password, "n3w-s3cret");
    control.start();
    const auto reverted = control.revert();
    ASSERT_EQ(reverted.status, 200) << reverted.body;
    EXPECT_NE(reverted.audit_detail.find("reverted to the site file"), std::string::npos);
    EXPECT_NE(reverted.audit_detail.find("battery_interval_s: 30 -> 60"), std::string::npos)
        << reverted.audit_detail;
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(control.settings().password, base.password);
    const auto j = json::parse(control.settings_json());
    EXPECT_EQ(j["edited"], false);
    EXPECT_EQ(j["battery_interval_s"], 60);
    control.stop();
  }
}

TEST(CloudSettingsEdit, AChangeTurnsTheLinkOnAndOff) {
  TempFolder folder;
  Links links(folder.path() + "/outbox.db");
  CloudConfig no_cloud_table;  // disabled, no broker
  no_cloud_table.site_id = "dc1";
  CloudLinkControl control(no_cloud_table, cloud_settings_path(folder.path()), links.factory());
  control.start();
  EXPECT_EQ(links.made, 0);
  EXPECT_FALSE(control.health());
  EXPECT_EQ(control.metrics_text(), "");
  const auto on = control.change(R"({"enabled":true,"broker":"mqtt://127.0.0.1:1"})");
  ASSERT_EQ(on.status, 200) << on.body;
  EXPECT_EQ(links.made, 1);
  ASSERT_TRUE(control.health());
  EXPECT_NE(control.metrics_text().find("btms_cloud_connected 0"), std::string::npos);
  EXPECT_EQ(json::parse(on.body)["sources"]["enabled"], "edited");
  const auto off = control.change(R"({"enabled":false})");
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_FALSE(control.health());
  EXPECT_EQ(links.made, 1);
  EXPECT_EQ(json::parse(off.body)["link"], nullptr);
  control.stop();
  EXPECT_EQ(control.change(R"({"enabled":true})").status, 503) << "stopped for good";
}

TEST(CloudSettingsEdit, WithoutADataFolderNothingCanBeSaved) {
  Links links("/nonexistent/outbox.db");
  CloudLinkControl control(site_file_settings(), "", links.factory());
  EXPECT_EQ(json::parse(control.settings_json())["editable"], false);
  EXPECT_EQ(control.change(R"({"keepalive_s":60})").status, 503);
  EXPECT_EQ(control.revert().status, 503);
}

TEST(CloudSettingsEdit, SavedEditsThatNoLongerFitRefuseTheStartWithFileAndField) {
  TempFolder folder;
  const auto path = cloud_settings_path(folder.path());
  ASSERT_EQ(save_cloud_edits(path, json{{"home_assistant", true}}), "");
  Links links(folder.path() + "/outbox.db");
  auto base = site_file_settings();
  base.format = PayloadFormat::sparkplug;  // the site file changed under the edit
  try {
    CloudLinkControl control(base, path, links.factory());
    ADD_FAILURE() << "started on settings that do not fit";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path + ": home_assistant: "), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace btms::cloud
