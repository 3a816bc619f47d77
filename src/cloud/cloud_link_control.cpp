#include "cloud/cloud_link_control.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "cloud/cloud_settings_edit.hpp"
#include "cloud/cloud_settings_store.hpp"
#include "cloud/settings_api.hpp"

namespace btms::cloud {

namespace {

using nlohmann::json;

// Bounds what a request body can make the gateway parse; the form is a few hundred bytes.
constexpr std::size_t kMaxBody_bytes = 16 * 1024;

CloudChangeAnswer refused(int status, std::string reason, std::string field = {}) {
  json body{{"error", field.empty() ? reason : field + ": " + reason}};
  if (!field.empty()) body["field"] = field;
  return {status, body.dump(), "refused: " + body["error"].get<std::string>(), false};
}

std::string joined(const std::vector<std::string>& parts) {
  return parts.empty() ? std::string("no change") : fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace

CloudLinkControl::CloudLinkControl(CloudConfig base, std::string edits_path,
                                   CloudLinkFactory make_link)
    : base_(std::move(base)), edits_path_(std::move(edits_path)), make_link_(std::move(make_link)) {
  state_.settings = base_;
  if (edits_path_.empty()) return;
  auto edits = load_cloud_edits(edits_path_);
  auto applied = apply_edits(base_, edits, FileCheck::skip);
  if (const auto* problem = std::get_if<FieldProblem>(&applied)) {
    throw std::runtime_error(
        fmt::format("{}: {} (saved on the settings page; fix it there after "
                    "removing the file, or in the file)",
                    edits_path_, to_string(*problem)));
  }
  state_.settings = std::get<CloudConfig>(applied);
  // Edits the site file has caught up with are no edits any more.
  state_.edits = edits_between(base_, state_.settings);
}

CloudLinkControl::~CloudLinkControl() {
  stop();
}

CloudLinkControl::State CloudLinkControl::state() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

void CloudLinkControl::start() {
  std::lock_guard change(change_mutex_);
  if (stopped_) return;
  const auto current = state();
  if (current.link || !current.settings.enabled) return;
  std::shared_ptr<CloudLink> link = make_link_(current.settings);
  link->start();
  std::lock_guard lock(state_mutex_);
  state_.link = std::move(link);
}

void CloudLinkControl::stop() {
  std::lock_guard change(change_mutex_);
  stopped_ = true;
  std::shared_ptr<CloudLink> link;
  {
    std::lock_guard lock(state_mutex_);
    link = state_.link;
  }
  if (link) link->stop();
}

CloudConfig CloudLinkControl::settings() const {
  return state().settings;
}

std::optional<CloudHealth> CloudLinkControl::health() const {
  const auto link = state().link;
  if (!link) return std::nullopt;
  return link->health();
}

std::string CloudLinkControl::metrics_text() const {
  const auto link = state().link;
  return link ? link->metrics_text() : std::string();
}

std::string CloudLinkControl::settings_json() const {
  const auto current = state();
  return cloud::settings_json(current.settings,
                              current.link ? std::optional(current.link->health()) : std::nullopt,
                              current.edits, !edits_path_.empty());
}

std::pair<int, std::string> CloudLinkControl::test_connection(const std::string& body) const {
  if (body.size() > kMaxBody_bytes) return {413, json{{"error", "body too large"}}.dump()};
  return connection_test_response(state().settings, body);
}

CloudChangeAnswer CloudLinkControl::change(const std::string& body) {
  if (edits_path_.empty())
    return refused(503, "the gateway has no data folder to keep edited settings in");
  if (body.size() > kMaxBody_bytes) return refused(413, "body too large");
  const auto request = json::parse(body, nullptr, false);
  std::lock_guard change(change_mutex_);
  const auto current = state();
  auto applied = apply_request(current.settings, request);
  if (const auto* problem = std::get_if<FieldProblem>(&applied))
    return refused(400, problem->reason, problem->field);
  auto& next = std::get<CloudConfig>(applied);
  if (const auto problem = check_settings(next, FileCheck::check))
    return refused(400, problem->reason, problem->field);
  const bool password_given =
      request.contains(kPasswordField) && !request[kPasswordField].is_null();
  const bool broker_moved = field_value(next, "broker") != field_value(current.settings, "broker");
  if (broker_moved && !password_given && !next.password.empty()) {
    // The stored password was given for one broker; it goes to another only when asked anew.
    return refused(400,
                   fmt::format("the stored password is for {}; type it again (or remove it) to "
                               "use {}",
                               field_value(current.settings, "broker").get<std::string>(),
                               field_value(next, "broker").get<std::string>()),
                   std::string(kPasswordField));
  }
  const auto changes = describe_changes(current.settings, next);
  // The same settings again: the running link stays as it is.
  if (changes.empty()) return {200, settings_json(), "no change", false};
  return switch_to(edits_between(base_, next), next, changes);
}

CloudChangeAnswer CloudLinkControl::revert() {
  if (edits_path_.empty())
    return refused(503, "the gateway has no data folder to keep edited settings in");
  std::lock_guard change(change_mutex_);
  const auto current = state();
  if (current.edits.empty()) return {200, settings_json(), "no edits to revert", false};
  auto changes = describe_changes(current.settings, base_);
  changes.insert(changes.begin(), "reverted to the site file");
  return switch_to(json::object(), base_, changes);
}

// Under change_mutex_.
CloudChangeAnswer CloudLinkControl::switch_to(json edits, CloudConfig next,
                                              const std::vector<std::string>& changes) {
  if (stopped_) return refused(503, "the gateway is stopping");
  const auto previous = state();
  if (const auto error = save_cloud_edits(edits_path_, edits); !error.empty())
    return refused(500, "the settings could not be saved: " + error);
  // The old link first: the new one opens the same outbox, which one writer at a time uses.
  // Its stop is bounded (an unanswered connect is given up, a clean stop waits 0.5 s at most).
  if (previous.link) previous.link->retire();
  std::shared_ptr<CloudLink> link;
  std::string start_error;
  if (next.enabled) {
    try {
      link = make_link_(next);
      link->start();
    } catch (const std::exception& e) {
      start_error = e.what();
      link.reset();
    }
  }
  if (!start_error.empty()) {
    // Back to what ran before: its edits and a link of its settings.
    save_cloud_edits(edits_path_, previous.edits);
    std::shared_ptr<CloudLink> restored;
    if (previous.settings.enabled) {
      try {
        restored = make_link_(previous.settings);
        restored->start();
      } catch (const std::exception& e) {
        spdlog::error("cloud link: the previous settings did not start again either: {}", e.what());
        restored.reset();
      }
    }
    std::lock_guard lock(state_mutex_);
    state_.link = std::move(restored);
    return refused(500, "the link did not start with these settings (" + start_error +
                            "); the previous settings are back");
  }
  {
    std::lock_guard lock(state_mutex_);
    state_.edits = std::move(edits);
    state_.settings = std::move(next);
    state_.link = std::move(link);
  }
  CloudChangeAnswer answer;
  answer.body = settings_json();
  answer.audit_detail = joined(changes);
  answer.changed = !changes.empty();
  return answer;
}

}  // namespace btms::cloud
