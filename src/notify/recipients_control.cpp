#include "notify/recipients_control.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "notify/notifier.hpp"
#include "notify/recipients_edit.hpp"
#include "notify/recipients_store.hpp"

namespace btms::notify {
namespace {

using nlohmann::json;

RecipientsAnswer refused(int status, const std::string& field, const std::string& error) {
  json body{{"error", error}};
  if (!field.empty()) body["field"] = field;
  return {status, body.dump(),
          fmt::format("refused: {}{}", field.empty() ? "" : field + ": ", error)};
}

std::string names_of(const std::vector<std::string>& names) {
  return names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "));
}

// "added A; changed B; removed C": names only, for the audit log.
std::string difference(const std::vector<Recipient>& before, const std::vector<Recipient>& after) {
  std::vector<std::string> added, changed, removed;
  for (const auto& r : after) {
    const auto old = std::find_if(before.begin(), before.end(),
                                  [&](const Recipient& b) { return b.name == r.name; });
    if (old == before.end()) {
      added.push_back(r.name);
    } else if (!(*old == r)) {
      changed.push_back(r.name);
    }
  }
  for (const auto& r : before) {
    if (std::none_of(after.begin(), after.end(),
                     [&](const Recipient& a) { return a.name == r.name; })) {
      removed.push_back(r.name);
    }
  }
  return fmt::format("added {}; changed {}; removed {}", names_of(added), names_of(changed),
                     names_of(removed));
}

}  // namespace

RecipientsControl::RecipientsControl(std::shared_ptr<Notifier> notifier, NotifySettings site,
                                     std::string store_path, bool edited)
    : notifier_(std::move(notifier)),
      site_(std::move(site)),
      store_path_(std::move(store_path)),
      edited_(edited) {}

std::string RecipientsControl::settings_json() const {
  std::lock_guard lock(mutex_);
  return settings_json_locked();
}

std::string RecipientsControl::settings_json_locked() const {
  json list = json::array();
  for (const auto& r : notifier_->recipients()) list.push_back(recipient_json(r, false));
  return json{{"source", edited_ ? "settings_page" : "site_file"},
              {"editable", !store_path_.empty()},
              {"mail_server", !site_.mail.url.empty()},
              {"recipients", std::move(list)}}
      .dump();
}

RecipientsAnswer RecipientsControl::change(const std::string& body) {
  std::lock_guard lock(mutex_);
  if (store_path_.empty()) {
    return refused(409, "", "recipients cannot be edited: the gateway runs without a data folder");
  }
  const auto document = json::parse(body, nullptr, false);
  if (!document.is_object() || !document.contains("recipients")) {
    return refused(400, "recipients", "expected {\"recipients\": [...]}");
  }
  const auto before = notifier_->recipients();
  auto edit = recipients_from_json(document["recipients"], before);
  if (!edit.ok()) return refused(400, edit.field, edit.error);
  // What the site file's reader checks across tables: a mail recipient needs the mail server,
  // and every message links to the web UI.
  for (std::size_t i = 0; i < edit.recipients.size(); ++i) {
    if (edit.recipients[i].channel == ChannelKind::mail && site_.mail.url.empty()) {
      return refused(400, fmt::format("recipients[{}].channel", i),
                     "mail recipients need a [notify.mail] server in the site file");
    }
  }
  if (!edit.recipients.empty() && site_.routing.base_url.empty()) {
    return refused(400, "recipients",
                   "recipients need [notify] base_url in the site file (the web UI's address "
                   "as recipients reach it)");
  }
  if (const auto error = save_edited_recipients(store_path_, edit.recipients); !error.empty()) {
    spdlog::error("notify: recipient list not saved: {}", error);
    return refused(500, "", "the recipient list could not be saved: " + error);
  }
  const auto detail = difference(before, edit.recipients);
  notifier_->replace_recipients(std::move(edit.recipients));
  edited_ = true;
  return {200, settings_json_locked(), "saved: " + detail};
}

RecipientsAnswer RecipientsControl::revert() {
  std::lock_guard lock(mutex_);
  if (store_path_.empty()) {
    return refused(409, "", "recipients cannot be edited: the gateway runs without a data folder");
  }
  if (const auto error = remove_edited_recipients(store_path_); !error.empty()) {
    return refused(500, "", "the edited recipient list could not be removed: " + error);
  }
  const auto detail = difference(notifier_->recipients(), site_.recipients);
  notifier_->replace_recipients(site_.recipients);
  edited_ = false;
  return {200, settings_json_locked(), "reverted to the site file: " + detail};
}

}  // namespace btms::notify
