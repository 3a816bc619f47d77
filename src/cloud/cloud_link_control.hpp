// The gateway's cloud link as the settings page changes it while the gateway runs: the settings
// it runs with (the site file's, overridden field by field by the edits saved in the data
// folder), the running link, and a change or a revert that saves the edits and replaces the
// link (the old one stopped, a new one started on the same outbox file, so nothing queued is
// lost). Acquisition, the engine and protection are not touched: the link is only a consumer of
// the engine's publication.
//
// Thread-safe: the web's workers call change() and revert() (one at a time; each waits for the
// old link's stop, which is bounded: cloud_link.hpp), the web's io threads settings_json() and
// metrics_text(), which never wait for a change or for the broker.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cloud/cloud_config.hpp"
#include "cloud/cloud_link.hpp"

namespace btms::cloud {

// Makes a link (not started) for settings: the gateway's site, publication and outbox path.
using CloudLinkFactory = std::function<std::unique_ptr<CloudLink>(const CloudConfig&)>;

struct CloudChangeAnswer {
  int status = 200;
  std::string body;          // JSON: the settings as GET shows them, or {"error":...}
  std::string audit_detail;  // what changed, or why it was refused; never a password
  bool changed = false;
};

class CloudLinkControl {
 public:
  // base: the site file's [cloud] with --mqtt and --mqtt-format. edits_path: the data folder's
  // cloud-settings.json (empty = nowhere to save: the settings cannot be edited). Throws
  // std::runtime_error naming the file, field and reason when the saved edits cannot be read or
  // do not fit (the gateway refuses to start, as for a bad [cloud] table).
  CloudLinkControl(CloudConfig base, std::string edits_path, CloudLinkFactory make_link);
  ~CloudLinkControl();
  CloudLinkControl(const CloudLinkControl&) = delete;
  CloudLinkControl& operator=(const CloudLinkControl&) = delete;

  void start();  // the link, when the settings turn it on; throws as CloudLink::start
  void stop();   // for good: a change afterwards is refused

  CloudConfig settings() const;               // what the link runs with (base + edits)
  std::optional<CloudHealth> health() const;  // nullopt while no link runs
  std::string metrics_text() const;           // "" while no link runs
  // GET /api/v1/cloud/settings: the settings without the password, where each comes from, the
  // link's state.
  std::string settings_json() const;
  // POST /api/v1/cloud/test: the form's candidate settings (unsaved) on a client of its own.
  std::pair<int, std::string> test_connection(const std::string& body) const;
  // PUT /api/v1/cloud/settings: checks every field of the body (400 and the field's reason),
  // saves the edits and replaces the link.
  CloudChangeAnswer change(const std::string& body);
  // DELETE /api/v1/cloud/settings: drops every edit; the link runs on the site file's settings.
  CloudChangeAnswer revert();

 private:
  struct State {
    nlohmann::json edits = nlohmann::json::object();
    CloudConfig settings;
    std::shared_ptr<CloudLink> link;
  };
  State state() const;
  CloudChangeAnswer switch_to(nlohmann::json edits, CloudConfig next,
                              const std::vector<std::string>& changes);

  const CloudConfig base_;
  const std::string edits_path_;
  const CloudLinkFactory make_link_;
  std::mutex change_mutex_;         // one change at a time, start and stop included
  bool stopped_ = false;            // under change_mutex_
  mutable std::mutex state_mutex_;  // held for copies only, never across a stop or a start
  State state_;
};

}  // namespace btms::cloud
