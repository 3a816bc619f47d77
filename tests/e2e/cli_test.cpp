// The command line: help on every subcommand, exit status 2 for unknown commands and flags,
// config check on good and bad files.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {
struct Run {
  int status;
  std::string output;
};
Run run(const std::string& args) {
  const std::string cmd = std::string(BTMS_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe) != nullptr) out += buf.data();
  const int raw = pclose(pipe);
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, out};
}
}  // namespace

class HelpOfEverySubcommand : public ::testing::TestWithParam<const char*> {};
TEST_P(HelpOfEverySubcommand, PrintsUsageAndExitsZero) {
  const auto r = run(std::string(GetParam()) + " --help");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("Usage"), std::string::npos) << r.output;
}
INSTANTIATE_TEST_SUITE_P(Cli, HelpOfEverySubcommand,
                         ::testing::Values("", "demo", "sim", "gateway", "config", "config check",
                                           "scan", "docs devices"));

TEST(Cli, UnknownSubcommandIsExitStatus2) {
  const auto r = run("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("frobnicate"), std::string::npos) << r.output;
}

// Issue 17 item 14: "btms UNKNOWN --help" printed the main help and exited 0.
TEST(Cli, HelpOfAnUnknownSubcommandIsExitStatus2) {
  const auto r = run("frobnicate --help");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("unknown command 'frobnicate'"), std::string::npos) << r.output;
}

// Issue 17 item 11: --data-dir "" wrote the databases into the working directory.
TEST(Cli, EmptyDataDirIsRefused) {
  for (const char* command : {"gateway --data-dir ''", "user add someone --data-dir ''"}) {
    const auto r = run(command);
    EXPECT_EQ(r.status, 2) << command << ": " << r.output;
    EXPECT_NE(r.output.find("must name a folder"), std::string::npos) << r.output;
  }
}

TEST(Cli, UnknownFlagIsExitStatus2) {
  const auto r = run("demo --no-such-flag");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.output.find("no-such-flag"), std::string::npos) << r.output;
}

TEST(Cli, ConfigCheckAcceptsTheShippedFiles) {
  for (const char* file : {"config/demo-site.toml", "config/example-site.toml"}) {
    const auto r = run(std::string("config check ") + BTMS_SOURCE_DIR + "/" + file);
    EXPECT_EQ(r.status, 0) << file << "\n" << r.output;
  }
}

TEST(Cli, ConfigCheckNamesFileLineAndKeyOfEveryError) {
  const std::string path = ::testing::TempDir() + "/bad-site.toml";
  std::ofstream(path) << "[site]\nname = \"x\"\nbogus_key = 1\n";
  const auto r = run("config check " + path);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find(path + ":3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("bogus_key"), std::string::npos) << r.output;
}

TEST(Cli, ConfigCheckAlsoChecksTheLimits) {
  std::ifstream in(std::string(BTMS_SOURCE_DIR) + "/config/example-site.toml");
  std::stringstream text;
  text << in.rdbuf();
  const std::string path = ::testing::TempDir() + "/bad-limits.toml";
  std::ofstream(path) << text.str() << "\n[limits.string_1.battery]\ntemperature_trip_C = 300\n";
  const auto r = run("config check " + path);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("temperature_trip_C"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(path + ":"), std::string::npos) << r.output;
}
