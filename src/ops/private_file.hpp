// Small files that hold settings and secrets the UI edits (cloud-settings.json,
// notify-recipients.json): written so that a crash leaves the old file or the new one, never a
// torn one, readable by the owner only, and on disk once the call returns.
#pragma once

#include <string>

namespace btms::ops {

// Writes `text` to `path` with mode 0600 through a temp file beside it (PATH.tmp): write,
// fsync, rename over `path`, fsync of the folder. Returns "" or the reason, e.g.
// "cannot write /var/lib/btms/x.json.tmp: No space left on device" (the temp file is removed).
std::string write_private_file_atomically(const std::string& path, const std::string& text);

// Removes `path` (an absent file is fine) and makes the removal durable. Returns "" or the
// reason.
std::string remove_file_durably(const std::string& path);

}  // namespace btms::ops
