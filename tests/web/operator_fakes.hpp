// Test doubles for the operator endpoints: an EngineService that records every submitted action
// and answers with a configurable result (or never, to exercise the timeout), and an in-memory
// HistoryStore holding discharge records and per-channel buckets.
#pragma once

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "engine/engine_service.hpp"
#include "history/history_store.hpp"

namespace btms::web::operator_test {

// A fresh folder under the system temp dir (user store, audit log), removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "btms-oper-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class RecordingEngine : public engine::EngineService {
 public:
  ~RecordingEngine() override {
    for (auto& t : answering) t.join();
  }
  struct Submitted {
    engine::Action action;
    engine::Actor who;
  };

  std::shared_ptr<const engine::AlarmList> alarms() const override {
    std::lock_guard lock(mutex_);
    return std::make_shared<engine::AlarmList>(alarm_list);
  }
  std::vector<model::Event> events_after(std::uint64_t, std::size_t) const override { return {}; }
  std::vector<model::DischargeRecord> running_discharges() const override {
    std::lock_guard lock(mutex_);
    return running;
  }
  engine::EngineConfig config() const override {
    std::lock_guard lock(mutex_);
    return current_config;
  }
  std::future<engine::ActionResult> submit(engine::Action action, engine::Actor who) override {
    std::lock_guard lock(mutex_);
    submitted.push_back({action, who});
    std::promise<engine::ActionResult> promise;
    auto future = promise.get_future();
    if (answer && answer_delay.count() > 0) {
      // Answered later from another thread, as the engine thread would.
      answering.emplace_back(
          [promise = std::move(promise), result = *answer, delay = answer_delay]() mutable {
            std::this_thread::sleep_for(delay);
            promise.set_value(result);
          });
    } else if (answer) {
      promise.set_value(*answer);
      if (const auto* replace = std::get_if<engine::ReplaceConfig>(&action);
          replace && answer->ok) {
        current_config = replace->config;
      }
    } else {
      unanswered.push_back(std::move(promise));  // kept pending: the handler must time out
    }
    return future;
  }

  std::size_t submitted_count() const {
    std::lock_guard lock(mutex_);
    return submitted.size();
  }

  mutable std::mutex mutex_;
  engine::AlarmList alarm_list;
  std::vector<model::DischargeRecord> running;
  engine::EngineConfig current_config;
  std::optional<engine::ActionResult> answer = engine::ActionResult{true, "done"};
  std::vector<Submitted> submitted;
  std::vector<std::promise<engine::ActionResult>> unanswered;
  std::chrono::milliseconds answer_delay{0};
  std::vector<std::thread> answering;
};

class MemoryHistory : public history::HistoryStore {
 public:
  void append(const model::Snapshot&) override {}
  void append(std::shared_ptr<const model::Snapshot>) override {}
  void append_event(const model::Event&) override {}
  bool flush() override { return true; }
  std::vector<history::ChannelSeries> query(const std::vector<std::string>& channels,
                                            std::int64_t from_ms, std::int64_t to_ms,
                                            int points) override {
    ++queries;
    last_points = points;
    std::vector<history::ChannelSeries> out;
    for (const auto& c : channels) {
      const auto it = series.find(c);
      if (it == series.end()) throw std::invalid_argument("unknown channel '" + c + "'");
      history::ChannelSeries s;
      s.channel = c;
      s.tier = history::Tier::raw;
      for (const auto& b : it->second) {
        if (b.time_ms >= from_ms && b.time_ms < to_ms) s.buckets.push_back(b);
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  std::vector<model::Event> events(std::int64_t, std::int64_t, std::size_t) override { return {}; }
  void append_discharge(const model::DischargeRecord& record) override {
    records.push_back(record);
  }
  std::vector<model::DischargeRecord> discharges(std::int64_t from_ms, std::int64_t to_ms,
                                                 int string_id, std::size_t limit) override {
    std::vector<model::DischargeRecord> out;
    for (const auto& r : records) {  // records are kept in ascending start time
      if (r.start_ms >= from_ms && r.start_ms < to_ms &&
          (string_id == 0 || r.string_id == string_id)) {
        out.push_back(r);
      }
    }
    if (out.size() > limit) out.erase(out.begin(), out.end() - static_cast<std::ptrdiff_t>(limit));
    return out;
  }
  history::HistoryHealth health() override { return {}; }
  void enforce_retention(std::int64_t) override {}
  history::HistoryStats stats() const override { return {}; }

  std::vector<model::DischargeRecord> records;
  std::map<std::string, std::vector<history::Bucket>> series;
  int queries = 0;
  int last_points = 0;
};

}  // namespace btms::web::operator_test
