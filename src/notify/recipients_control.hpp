// Edits of the recipient list from the settings page, applied to the running notifier: checks
// an edit (every field with its reason), saves it in the data folder, hands the list to the
// notifier (no restart, outbox kept) and answers what the page shows. The list comes from the
// settings page once one was saved (it replaces the site file's list as a whole) and from the
// site file again after a revert.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "notify/notify_settings.hpp"

namespace btms::notify {

class Notifier;

// An answer to a change: HTTP status, JSON body, and what the audit log keeps (names only,
// never a secret).
struct RecipientsAnswer {
  int status = 200;
  std::string body;
  std::string audit_detail;
};

class RecipientsControl {
 public:
  // site: the site file's [notify] (its recipients are what a revert brings back; its mail
  // server and base_url decide what an edit may hold). store_path: notify-recipients.json;
  // empty = not editable (no data folder). edited: the list loaded from store_path, if any.
  RecipientsControl(std::shared_ptr<Notifier> notifier, NotifySettings site, std::string store_path,
                    bool edited);

  // {"source": "settings_page" | "site_file", "editable", "recipients": [...]}: no secrets.
  std::string settings_json() const;
  // body: {"recipients": [...]}. 400 {"error", "field"} for a refused field.
  RecipientsAnswer change(const std::string& body);
  RecipientsAnswer revert();

 private:
  std::string settings_json_locked() const;

  std::shared_ptr<Notifier> notifier_;
  NotifySettings site_;
  std::string store_path_;
  mutable std::mutex mutex_;  // one change at a time
  bool edited_ = false;
};

}  // namespace btms::notify
