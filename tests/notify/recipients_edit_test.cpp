// The recipient list as the settings page edits it: every refused field with its reason, the
// secrets kept only for the same name and address and never in an answer, and the data folder's
// file (0600) read back as it was saved.
#include "notify/recipients_edit.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "notify/recipients_store.hpp"
#include "tests/security/temp_dir.hpp"

namespace btms::notify {
namespace {

using nlohmann::json;

json hook(std::string name = "dcim") {
  return {{"name", std::move(name)},
          {"channel", "webhook"},
          {"url", "https://dcim.example.net/hook"},
          {"secret", "s3cret-key"}};
}

json mail(std::string name = "night") {
  return {{"name", std::move(name)}, {"channel", "mail"}, {"to", "night@example.net"}};
}

json trap() {
  return {{"name", "nms"},   {"channel", "snmp"},   {"target", "udp:nms.example.net:162"},
          {"version", "2c"}, {"community", "c0mm"}, {"mib", "both"}};
}

RecipientsEdit edit(const json& list, const std::vector<Recipient>& previous = {}) {
  return recipients_from_json(list, previous);
}

TEST(RecipientsEdit, EveryBadFieldIsRefusedWithItsReason) {
  struct Case {
    json recipient;
    std::string field;
    std::string reason;
  };
  const auto with = [](json r, const std::string& key, json value) {
    r[key] = std::move(value);
    return r;
  };
  const std::vector<Case> cases = {
      {with(mail(), "to", "night.example.net"), "recipients[0].to", "expected a mail address"},
      {with(hook(), "url", "ftp://x"), "recipients[0].url", "expected an http:// or https:// URL"},
      {with(mail(), "channel", "pager"), "recipients[0].channel",
       "expected \"mail\", \"webhook\" or \"snmp\""},
      {with(mail(), "level", "critical"), "recipients[0].level",
       "expected \"warnings\", \"alarms\" or \"trips\""},
      {with(mail(), "tier", 0), "recipients[0].tier", "0 is out of range 1..9"},
      {with(mail(), "tier", 1.5), "recipients[0].tier", "expected an integer"},
      {with(mail(), "quiet_hours", "22-06"), "recipients[0].quiet_hours",
       "expected \"HH:MM-HH:MM\", e.g. \"22:00-06:00\""},
      {with(mail(), "sources", json::array({"rack/1"})), "recipients[0].sources",
       "\"rack/1\" is not site, ups/N, string/N, battery/N/M or mc"},
      {with(mail(), "rules", json::array({""})), "recipients[0].rules",
       "expected a non-empty string"},
      {with(mail(), "rules", json::array({3})), "recipients[0].rules",
       "expected an array of strings"},
      {with(mail(), "name", ""), "recipients[0].name", "must not be empty"},
      {with(mail(), "pager", "x"), "recipients[0].pager", "unknown key"},
      {with(trap(), "target", "udp:"), "recipients[0].target",
       "expected udp:host:port, e.g. \"udp:nms.example.net:162\""},
      {with(trap(), "mib", "all"), "recipients[0].mib", "expected \"btms\", \"ups\" or \"both\""},
      {with(mail(), "utc_offset_min", 15 * 60), "recipients[0].utc_offset_min",
       "900 is out of range -720..840"},
  };
  for (const auto& c : cases) {
    const auto got = edit(json::array({c.recipient}));
    EXPECT_EQ(got.field, c.field) << c.recipient.dump();
    EXPECT_EQ(got.error, c.reason) << c.recipient.dump();
    EXPECT_TRUE(got.recipients.empty());
  }
  const auto twice = edit(json::array({mail("a"), hook("a")}));
  EXPECT_EQ(twice.field, "recipients[1].name");
  EXPECT_EQ(twice.error, "\"a\" is used twice");
  EXPECT_EQ(edit(json::array({"x"})).error, "expected an object");
  EXPECT_EQ(edit(json::object()).error, "expected an array of recipients");
}

TEST(RecipientsEdit, AGoodListIsReadWithEveryField) {
  auto m = mail();
  m["level"] = "warnings";
  m["sources"] = {"string/3", "ups/1"};
  m["rules"] = {"battery_temperature"};
  m["tier"] = 2;
  m["quiet_hours"] = "22:00-06:30";
  m["utc_offset_min"] = 60;
  const auto got = edit(json::array({m, hook(), trap()}));
  ASSERT_TRUE(got.ok()) << got.field << ": " << got.error;
  ASSERT_EQ(got.recipients.size(), 3u);
  const auto& r = got.recipients[0];
  EXPECT_EQ(r.min_severity, model::Severity::warning);
  EXPECT_EQ(r.sources, (std::vector<std::string>{"string/3", "ups/1"}));
  EXPECT_EQ(r.tier, 2);
  EXPECT_EQ(r.quiet.start_min, 22 * 60);
  EXPECT_EQ(r.quiet.end_min, 6 * 60 + 30);
  EXPECT_EQ(r.quiet.utc_offset_min, 60);
  EXPECT_EQ(got.recipients[1].secret, "s3cret-key");
  EXPECT_EQ(got.recipients[2].snmp.community, "c0mm");
  EXPECT_TRUE(got.recipients[2].snmp.ups_mib);
  // What the page reads back is what it may send again: the same recipients.
  json again = json::array();
  for (const auto& each : got.recipients) again.push_back(recipient_json(each, false));
  const auto second = edit(again, got.recipients);
  ASSERT_TRUE(second.ok()) << second.field << ": " << second.error;
  EXPECT_EQ(second.recipients, got.recipients);
}

TEST(RecipientsEdit, NoSecretInWhatThePageReads) {
  const auto got = edit(json::array({hook(), trap()}));
  ASSERT_TRUE(got.ok());
  for (const auto& r : got.recipients) {
    const auto text = recipient_json(r, false).dump();
    EXPECT_EQ(text.find("s3cret-key"), std::string::npos) << text;
    EXPECT_EQ(text.find("c0mm"), std::string::npos) << text;
  }
  EXPECT_TRUE(recipient_json(got.recipients[0], false)["secret_set"].get<bool>());
  EXPECT_TRUE(recipient_json(got.recipients[1], false)["community_set"].get<bool>());
}

TEST(RecipientsEdit, ABlankSecretIsKeptOnlyForTheSameNameAndAddress) {
  const auto stored = edit(json::array({hook(), trap()})).recipients;
  auto blank = hook();
  blank.erase("secret");
  auto blank_trap = trap();
  blank_trap["community"] = "";
  const auto kept = edit(json::array({blank, blank_trap}), stored);
  ASSERT_TRUE(kept.ok()) << kept.error;
  EXPECT_EQ(kept.recipients[0].secret, "s3cret-key");
  EXPECT_EQ(kept.recipients[1].snmp.community, "c0mm");

  auto moved = blank;
  moved["url"] = "https://elsewhere.example.net/hook";
  const auto refused = edit(json::array({moved}), stored);
  EXPECT_EQ(refused.field, "recipients[0].secret");
  EXPECT_EQ(refused.error, "the URL changed: enter the HMAC secret again (or clear it)");
  moved["clear_secret"] = true;
  const auto cleared = edit(json::array({moved}), stored);
  ASSERT_TRUE(cleared.ok()) << cleared.error;
  EXPECT_EQ(cleared.recipients[0].secret, "");

  auto moved_trap = blank_trap;
  moved_trap["target"] = "udp:other.example.net:162";
  const auto trap_refused = edit(json::array({moved_trap}), stored);
  EXPECT_EQ(trap_refused.field, "recipients[0].community");
  EXPECT_EQ(trap_refused.error, "the address changed: enter the community again");

  // Another name: nothing to keep from, and a community is required.
  blank_trap["name"] = "nms2";
  const auto renamed = edit(json::array({blank_trap}), stored);
  EXPECT_EQ(renamed.field, "recipients[0].community");
  EXPECT_EQ(renamed.error, "missing required key");
}

TEST(RecipientsStore, RoundTripIsPrivateAndExact) {
  security::test::TempDir dir;
  const auto path = recipients_store_path(dir.path().string());
  EXPECT_FALSE(load_edited_recipients(path).has_value());
  const auto list = edit(json::array({mail(), hook(), trap()})).recipients;
  ASSERT_EQ(save_edited_recipients(path, list), "");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const auto back = load_edited_recipients(path);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, list);
  // An empty list is a list (nobody is told), not "no file".
  ASSERT_EQ(save_edited_recipients(path, {}), "");
  ASSERT_TRUE(load_edited_recipients(path).has_value());
  EXPECT_TRUE(load_edited_recipients(path)->empty());
  ASSERT_EQ(remove_edited_recipients(path), "");
  EXPECT_FALSE(load_edited_recipients(path).has_value());
  EXPECT_EQ(remove_edited_recipients(path), "");
}

TEST(RecipientsStore, ABrokenFileIsNamedNotIgnored) {
  security::test::TempDir dir;
  const auto path = recipients_store_path(dir.path().string());
  std::ofstream(path)
      << R"({"recipients_version": 1, "recipients": [{"name": "x", "channel": "mail", "to": "nope"}]})";
  try {
    load_edited_recipients(path);
    FAIL() << "a refused recipient in the file must stop the load";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("recipients[0].to: expected a mail address"),
              std::string::npos)
        << e.what();
  }
  std::ofstream(path) << R"({"recipients_version": 9, "recipients": []})";
  EXPECT_THROW(load_edited_recipients(path), std::runtime_error);
}

}  // namespace
}  // namespace btms::notify
