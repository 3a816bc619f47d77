#include "devices/device_docs.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

TEST(DeviceDocs, CheckedInFileMatchesTheRegisterMaps) {
  std::ifstream in(std::string(BTMS_SOURCE_DIR) + "/docs/devices.md");
  ASSERT_TRUE(in) << "docs/devices.md is missing; run: build/btms docs devices > docs/devices.md";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), btms::devices::render_device_docs())
      << "docs/devices.md is out of date; run: build/btms docs devices > docs/devices.md";
}
