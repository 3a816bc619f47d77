// write_private_file_atomically / remove_file_durably: the content, the mode, a stale temp
// file's mode, the old file kept when the write cannot happen, and the reasons given.
#include "ops/private_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "temp_dir.hpp"

namespace btms::ops {
namespace {

using test::TempDir;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned mode_of(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 0777U;
}

TEST(PrivateFile, WritesTheTextReadableByTheOwnerOnly) {
  TempDir dir;
  const auto path = dir.file("settings.json");
  EXPECT_EQ(write_private_file_atomically(path, "{\"a\": 1}\n"), "");
  EXPECT_EQ(read_text(path), "{\"a\": 1}\n");
  EXPECT_EQ(mode_of(path), 0600U);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(PrivateFile, ReplacesAnOlderFileAndResetsAStaleTempFilesMode) {
  TempDir dir;
  const auto path = dir.file("settings.json");
  { std::ofstream(path) << "old"; }
  { std::ofstream(path + ".tmp") << "left by a crash"; }
  ::chmod((path + ".tmp").c_str(), 0644);
  EXPECT_EQ(write_private_file_atomically(path, "new"), "");
  EXPECT_EQ(read_text(path), "new");
  EXPECT_EQ(mode_of(path), 0600U);
}

TEST(PrivateFile, AFolderThatIsNotThereIsAReasonAndLeavesNothing) {
  TempDir dir;
  const auto path = dir.file("missing/settings.json");
  const auto reason = write_private_file_atomically(path, "x");
  EXPECT_NE(reason.find("cannot write " + path + ".tmp"), std::string::npos) << reason;
  EXPECT_NE(reason.find("No such file or directory"), std::string::npos) << reason;
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PrivateFile, ARenameThatFailsKeepsTheOldFileAndRemovesTheTemp) {
  TempDir dir;
  // The target is a non-empty folder: rename(2) over it fails.
  const auto path = dir.file("taken");
  std::filesystem::create_directories(path + "/inside");
  const auto reason = write_private_file_atomically(path, "x");
  EXPECT_NE(reason.find("cannot replace " + path), std::string::npos) << reason;
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
  EXPECT_TRUE(std::filesystem::is_directory(path + "/inside"));
}

TEST(PrivateFile, RemovesAFileAndAcceptsOneThatIsAbsent) {
  TempDir dir;
  const auto path = dir.file("settings.json");
  ASSERT_EQ(write_private_file_atomically(path, "x"), "");
  EXPECT_EQ(remove_file_durably(path), "");
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(remove_file_durably(path), "");
  // A folder cannot be unlinked: the reason names it.
  std::filesystem::create_directories(dir.file("folder"));
  const auto reason = remove_file_durably(dir.file("folder"));
  EXPECT_NE(reason.find("cannot remove " + dir.file("folder")), std::string::npos) << reason;
}

}  // namespace
}  // namespace btms::ops
