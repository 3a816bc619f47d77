// The recipient list edited on the settings page, kept in the data folder
// (notify-recipients.json, 0600: it holds webhook and SNMP secrets). Once saved it replaces the
// site file's [[notify.recipient]] list as a whole; removing the file ("revert to site file")
// brings the site file's list back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "notify/notify_settings.hpp"

namespace btms::notify {

inline constexpr int kRecipientsFileVersion = 1;

std::string recipients_store_path(const std::string& data_dir);

// nullopt when there is no file (the site file's list is in force). Throws std::runtime_error
// naming the file and the first problem when it cannot be read or holds a refused recipient.
std::optional<std::vector<Recipient>> load_edited_recipients(const std::string& path);

// Temp file (0600), fsync, rename, folder fsync: a crash leaves the old list or the new one.
// Returns "" or why it failed.
std::string save_edited_recipients(const std::string& path,
                                   const std::vector<Recipient>& recipients);
// Returns "" (also when there was no file) or why it failed.
std::string remove_edited_recipients(const std::string& path);

}  // namespace btms::notify
