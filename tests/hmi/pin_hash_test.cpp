// The acknowledgement PIN on the panel's disk: only an Argon2id hash, in a file only its owner
// reads; the right PIN matches, others do not; a file that holds no hash is refused with its
// name; PINs of the wrong shape are refused before anything is written.
#include "hmi/pin_hash.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "hmi/terminal_ui.hpp"
#include "process.hpp"

namespace btms::hmi {
namespace {

std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(PinHash, StoredAsArgon2idHashOwnerOnlyAndVerified) {
  e2e::TempFolder folder;
  const auto path = folder.path() + "/hmi.pin";
  std::ofstream(path) << "old\n";
  ::chmod(path.c_str(), 0644);  // a wider mode from before is narrowed
  write_pin_hash(path, "2468");
  const auto hash = first_line(path);
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_EQ(hash.find("2468"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  const PinVerifier verifier(path);
  EXPECT_TRUE(verifier.matches("2468"));
  for (const char* wrong : {"2469", ""}) {  // each check costs the Argon2id time
    EXPECT_FALSE(verifier.matches(wrong)) << wrong;
  }
}

TEST(PinHash, FileWithoutAHashOrMissingIsRefusedNamingIt) {
  e2e::TempFolder folder;
  const auto path = folder.path() + "/plain.pin";
  std::ofstream(path) << "2468\n";  // a PIN in clear is not accepted as a PIN file
  try {
    PinVerifier verifier(path);
    ADD_FAILURE() << "a clear PIN was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--set-pin"), std::string::npos) << e.what();
  }
  EXPECT_THROW(PinVerifier(folder.path() + "/absent.pin"), std::runtime_error);
}

// The shape of a new PIN, row by row (pure: no hashing, so every boundary costs nothing).
TEST(PinHash, NewPinShapeFourToTwelveDigits) {
  const struct {
    const char* pin;
    bool ok;
  } rows[] = {
      {"", false},
      {"123", false},
      {"1234", true},
      {"123456789012", true},
      {"1234567890123", false},
      {"12a4", false},
      {"12 4", false},
  };
  for (const auto& r : rows) {
    EXPECT_EQ(!pin_format_problem(r.pin).has_value(), r.ok) << "'" << r.pin << "'";
  }
}

// --set-pin from a pipe: a refused PIN writes nothing and says why; an accepted one (CRLF from
// a serial console trimmed) is what gets stored. One hash only: each costs the Argon2id time.
TEST(PinHash, SetPinFromAPipeRefusesBadShapesAndStoresTheAcceptedOne) {
  e2e::TempFolder folder;
  const auto path = folder.path() + "/hmi.pin";
  for (const char* input : {"123\n", "1234567890123\n", "12a4\n", "\n"}) {
    std::istringstream in(input);
    std::ostringstream err;
    EXPECT_EQ(set_hmi_pin(path, in, err), 2) << input;
    EXPECT_NE(err.str().find("PIN"), std::string::npos) << err.str();
  }
  EXPECT_THROW(PinVerifier{path}, std::runtime_error) << "nothing was written";
  std::istringstream in("5678\r\n");
  std::ostringstream err;
  EXPECT_EQ(set_hmi_pin(path, in, err), 0) << err.str();
  EXPECT_TRUE(PinVerifier(path).matches("5678"));
}

}  // namespace
}  // namespace btms::hmi
