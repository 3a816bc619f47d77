// Journal entries with fields: the native protocol against a fake journal (a datagram socket of
// the test's own), $JOURNAL_STREAM detection, and a journal that takes nothing.
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <spdlog/logger.h>

#include "engine/append_log.hpp"
#include "engine/event_logger.hpp"
#include "model/events.hpp"
#include "ops/journal_sink.hpp"
#include "ops/log_fields.hpp"
#include "ops/log_output.hpp"
#include "temp_dir.hpp"

namespace {

using btms::ops::JournalSink;
using Fields = std::map<std::string, std::string>;

// A journal of the test's own: a bound datagram socket that reads entries when asked.
class FakeJournal {
 public:
  explicit FakeJournal(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof address.sun_path - 1);
    ::unlink(path_.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
  }
  ~FakeJournal() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  // The next datagram, or nullopt when none comes within `wait_ms`.
  std::optional<std::string> receive(int wait_ms = 2000) const {
    pollfd pfd{fd_, POLLIN, 0};
    if (::poll(&pfd, 1, wait_ms) <= 0) return std::nullopt;
    std::vector<char> buf(1 << 16);
    const auto n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    return std::string(buf.data(), static_cast<std::size_t>(n));
  }
  std::vector<std::string> receive_all() const {
    std::vector<std::string> out;
    while (auto d = receive(0)) out.push_back(*d);
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

// Reads an entry as journald does: "KEY=value\n", or "KEY\n" + 64-bit LE length + data + "\n".
Fields parse_entry(std::string_view d) {
  Fields fields;
  while (!d.empty()) {
    const auto nl = d.find('\n');
    const auto eq = d.find('=');
    if (nl == std::string_view::npos) {
      ADD_FAILURE() << "entry does not end in a newline";
      break;
    }
    if (eq < nl) {
      fields[std::string(d.substr(0, eq))] = std::string(d.substr(eq + 1, nl - eq - 1));
      d.remove_prefix(nl + 1);
      continue;
    }
    const auto key = std::string(d.substr(0, nl));
    d.remove_prefix(nl + 1);
    if (d.size() < 8) {
      ADD_FAILURE() << "short length of " << key;
      break;
    }
    std::uint64_t size = 0;
    for (int i = 7; i >= 0; --i) size = (size << 8) | static_cast<unsigned char>(d[i]);
    d.remove_prefix(8);
    if (d.size() < size + 1 || d[size] != '\n') {
      ADD_FAILURE() << "bad binary field " << key;
      break;
    }
    fields[key] = std::string(d.substr(0, size));
    d.remove_prefix(size + 1);
  }
  return fields;
}

btms::model::Event voltage_high_raised() {
  btms::model::Event e;
  e.id = 41;
  e.time_ms = 1'700'000'000'000;
  e.kind = btms::model::EventKind::alarm_raised;
  e.severity = btms::model::Severity::alarm;
  e.source = "battery/3/17";
  e.rule = "battery_voltage_high";
  e.text = "Battery 3/17 voltage 14.620 V above high limit 14.400 V";
  e.value = 14.62;
  return e;
}

}  // namespace

TEST(JournalSink, AnAlarmRaisedEntryCarriesStringBatteryRuleAndPriority) {
  btms::ops::test::TempDir dir;
  FakeJournal journal(dir.file("journal.sock"));
  auto logger = std::make_shared<spdlog::logger>(
      "t", std::make_shared<JournalSink>(dir.file("journal.sock")));
  auto log = std::make_shared<btms::engine::AppendLog<btms::model::Event>>();
  btms::engine::EventLogger events(log, logger);
  events.start();
  log->append({voltage_high_raised()});

  const auto datagram = journal.receive();
  ASSERT_TRUE(datagram.has_value());
  const auto f = parse_entry(*datagram);
  EXPECT_EQ(f.at("MESSAGE"),
            "event 41: battery/3/17 Battery 3/17 voltage 14.620 V above high limit 14.400 V");
  EXPECT_EQ(f.at("PRIORITY"), "3");  // an alarm: err
  EXPECT_EQ(f.at("SYSLOG_IDENTIFIER"), "btms");
  EXPECT_EQ(f.at("BTMS_STRING"), "3");
  EXPECT_EQ(f.at("BTMS_BATTERY"), "17");
  EXPECT_EQ(f.at("BTMS_RULE"), "battery_voltage_high");
  EXPECT_EQ(f.at("BTMS_EVENT"), "alarm_raised");
  EXPECT_EQ(f.at("BTMS_SEVERITY"), "alarm");
  EXPECT_EQ(f.at("BTMS_VALUE"), "14.620 V");
  EXPECT_EQ(f.at("BTMS_SOURCE"), "battery/3/17");
  EXPECT_EQ(f.at("BTMS_EVENT_ID"), "41");
  EXPECT_EQ(f.at("BTMS_THREAD"), "log:events");  // the thread that logged it
  EXPECT_EQ(f.count("CODE_FILE"), 0u);           // no source location given
  events.stop();
}

TEST(JournalSink, StringEventsNameTheStringOnlyAndATripIsCritical) {
  btms::model::Event trip;
  trip.kind = btms::model::EventKind::string_tripped;
  trip.severity = btms::model::Severity::trip;
  trip.source = "string/2";
  trip.text = "String 2 opened";
  const auto fields = btms::engine::event_fields(trip).encoded();
  EXPECT_NE(fields.find("BTMS_STRING=2\n"), std::string::npos);
  EXPECT_EQ(fields.find("BTMS_BATTERY"), std::string::npos);
  EXPECT_EQ(fields.find("BTMS_VALUE"), std::string::npos);  // a trip has no measured value
  EXPECT_EQ(btms::engine::event_level(trip), spdlog::level::critical);

  auto cleared = voltage_high_raised();
  cleared.kind = btms::model::EventKind::alarm_cleared;
  cleared.severity = btms::model::Severity::info;
  EXPECT_EQ(btms::engine::event_level(cleared), spdlog::level::info);
  EXPECT_NE(btms::engine::event_fields(cleared).encoded().find("BTMS_EVENT=alarm_cleared\n"),
            std::string::npos);
}

TEST(JournalSink, SourceLocationAndAMultiLineMessageFollowTheNativeProtocol) {
  btms::ops::test::TempDir dir;
  FakeJournal journal(dir.file("journal.sock"));
  spdlog::logger logger("t", std::make_shared<JournalSink>(dir.file("journal.sock")));
  pthread_setname_np(pthread_self(), "test:journal");
  logger.log(spdlog::source_loc{"bus_worker.cpp", 112, "poll"}, spdlog::level::warn,
             "first line\nsecond line");
  const auto datagram = journal.receive();
  ASSERT_TRUE(datagram.has_value());
  // A value with a newline is sent with its length, never as KEY=value.
  EXPECT_NE(datagram->find("MESSAGE\n"), std::string::npos);
  const auto f = parse_entry(*datagram);
  EXPECT_EQ(f.at("MESSAGE"), "first line\nsecond line");
  EXPECT_EQ(f.at("PRIORITY"), "4");
  EXPECT_EQ(f.at("CODE_FILE"), "bus_worker.cpp");
  EXPECT_EQ(f.at("CODE_LINE"), "112");
  EXPECT_EQ(f.at("CODE_FUNC"), "poll");
  EXPECT_EQ(f.at("BTMS_THREAD"), "test:journal");
}

TEST(JournalSink, JournalStreamPicksTheJournalOnlyWhenDeviceAndInodeMatch) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fds[1], &st), 0);
  const auto dev = static_cast<unsigned long long>(st.st_dev);
  const auto ino = static_cast<unsigned long long>(st.st_ino);
  const auto same = fmt::format("{}:{}", dev, ino);
  EXPECT_TRUE(btms::ops::stream_is_journal(fds[1], same.c_str()));
  EXPECT_FALSE(btms::ops::stream_is_journal(fds[1], fmt::format("{}:{}", dev, ino + 1).c_str()));
  EXPECT_FALSE(btms::ops::stream_is_journal(fds[1], fmt::format("{}:{}", dev + 1, ino).c_str()));
  EXPECT_FALSE(btms::ops::stream_is_journal(fds[1], nullptr));  // not started by systemd
  EXPECT_FALSE(btms::ops::stream_is_journal(fds[1], "journal"));
  EXPECT_FALSE(btms::ops::stream_is_journal(fds[1], (same + "x").c_str()));
  // Standard output redirected to another pipe: the inherited variable no longer matches.
  int other[2];
  ASSERT_EQ(::pipe(other), 0);
  EXPECT_FALSE(btms::ops::stream_is_journal(other[1], same.c_str()));
  for (const int fd : {fds[0], fds[1], other[0], other[1]}) ::close(fd);
}

TEST(JournalSink, AJournalThatTakesNothingDropsAndCountsInBoundedTime) {
  btms::ops::test::TempDir dir;
  FakeJournal journal(dir.file("journal.sock"));  // bound, never read until the end
  auto sink = std::make_shared<JournalSink>(dir.file("journal.sock"), 20);
  spdlog::logger logger("t", sink);
  const std::string payload(200, 'x');
  const auto start = std::chrono::steady_clock::now();
  // Synchronous on purpose: a sink that waited for the journal would hang this loop, and one
  // that waited 20 ms per entry would take a minute.
  constexpr int kLines = 3000;
  for (int i = 0; i < kLines; ++i) logger.info("{} {}", i, payload);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  const auto dropped = sink->dropped_entries();
  EXPECT_GT(dropped, 0u);

  const auto taken = journal.receive_all();
  EXPECT_EQ(taken.size() + dropped, static_cast<std::size_t>(kLines));
  ASSERT_FALSE(taken.empty());
  EXPECT_EQ(parse_entry(taken.front()).at("MESSAGE"), "0 " + payload);  // from the first on

  // The journal takes entries again: the first one says how many were lost.
  logger.info("after");
  const auto note = journal.receive();
  ASSERT_TRUE(note.has_value());
  const auto f = parse_entry(*note);
  EXPECT_EQ(f.at("BTMS_DROPPED"), std::to_string(dropped));
  EXPECT_EQ(f.at("MESSAGE"), "[log output] " + std::to_string(dropped) +
                                 " entries dropped while the journal was not taking them");
  EXPECT_EQ(f.at("PRIORITY"), "4");
  const auto after = journal.receive();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(parse_entry(*after).at("MESSAGE"), "after");
  EXPECT_EQ(sink->dropped_entries(), dropped);
}

TEST(JournalSink, NoJournalAtThePathDropsAndCountsWithoutWaiting) {
  btms::ops::test::TempDir dir;
  auto sink = std::make_shared<JournalSink>(dir.file("absent.sock"), 200);
  EXPECT_FALSE(sink->connected());
  spdlog::logger logger("t", sink);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) logger.info("line {}", i);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(sink->dropped_entries(), 50u);
}

TEST(JournalSink, AJournalRestartedAtTheSamePathIsFoundAgain) {
  btms::ops::test::TempDir dir;
  auto first = std::make_unique<FakeJournal>(dir.file("journal.sock"));
  auto sink = std::make_shared<JournalSink>(dir.file("journal.sock"), 50);
  spdlog::logger logger("t", sink);
  logger.info("before");
  ASSERT_TRUE(first->receive().has_value());
  first.reset();  // journald stops; a new one binds the same path
  FakeJournal second(dir.file("journal.sock"));
  logger.info("after the restart");
  const auto datagram = second.receive();
  ASSERT_TRUE(datagram.has_value());
  EXPECT_EQ(parse_entry(*datagram).at("MESSAGE"), "after the restart");
  EXPECT_EQ(sink->dropped_entries(), 0u);
}

TEST(JournalSink, PlainOutputShowsTheTextWithoutTheFields) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto sink = std::make_shared<btms::ops::BoundedFdSink>(fds[1], 20);
  spdlog::logger logger("t", sink);
  logger.set_pattern("[%l] %v");
  btms::ops::LogFields fields;
  fields.add("BTMS_STRING", "3").add("BTMS_RULE", "battery_voltage_high");
  btms::ops::log_with_fields(logger, spdlog::level::err, "Battery 3/17 {voltage} high", fields);
  logger.info("plain {}", 1);
  char buf[256];
  const auto n = ::read(fds[0], buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)),
            "[error] Battery 3/17 {voltage} high\n[info] plain 1\n");
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(JournalSink, FieldsStayOneLineAndAreLeftOutBelowTheLevel) {
  btms::ops::LogFields fields;
  fields.add("BTMS_USER", "eve\nPRIORITY=0");
  EXPECT_EQ(fields.encoded(), "BTMS_USER=eve PRIORITY=0\n");  // no field smuggled in

  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  spdlog::logger logger("t", std::make_shared<btms::ops::BoundedFdSink>(fds[1], 20));
  logger.set_level(spdlog::level::warn);
  btms::ops::log_with_fields(logger, spdlog::level::info, "not shown", fields);
  logger.warn("shown");
  char buf[64];
  const auto n = ::read(fds[0], buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf, static_cast<std::size_t>(n)).find("shown"), std::string::npos);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)).find("not shown"), std::string::npos);
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(JournalSink, TheOutputIsTheJournalOnlyForItsStreamAndAJournalThatAnswers) {
  btms::ops::test::TempDir dir;
  FakeJournal journal(dir.file("journal.sock"));
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  struct stat st {};
  ASSERT_EQ(::fstat(fds[1], &st), 0);
  const auto stream = fmt::format("{}:{}", static_cast<unsigned long long>(st.st_dev),
                                  static_cast<unsigned long long>(st.st_ino));

  const auto to_journal =
      btms::ops::choose_log_output(fds[1], stream.c_str(), dir.file("journal.sock"), 20);
  EXPECT_TRUE(to_journal.journal);
  EXPECT_NE(std::dynamic_pointer_cast<JournalSink>(to_journal.sink), nullptr);

  // A terminal, a pipe, `btms demo`: no JOURNAL_STREAM, or one of another stream.
  for (const char* other : {static_cast<const char*>(nullptr), "1:2"}) {
    const auto plain = btms::ops::choose_log_output(fds[1], other, dir.file("journal.sock"), 20);
    EXPECT_FALSE(plain.journal);
    EXPECT_NE(std::dynamic_pointer_cast<btms::ops::BoundedFdSink>(plain.sink), nullptr);
  }
  // The stream is the journal's but its socket is not there: the plain lines, still journaled.
  const auto fallback =
      btms::ops::choose_log_output(fds[1], stream.c_str(), dir.file("absent.sock"), 20);
  EXPECT_FALSE(fallback.journal);
  EXPECT_NE(std::dynamic_pointer_cast<btms::ops::BoundedFdSink>(fallback.sink), nullptr);
  ::close(fds[0]);
  ::close(fds[1]);
}
