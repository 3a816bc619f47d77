// Every scenario shipped in scenarios/ parses against the demo plant it is written for.
#include <gtest/gtest.h>

#include <filesystem>

#include "model/config/demo_site.hpp"
#include "plant/scenario.hpp"

TEST(ShippedScenarios, ParseAgainstTheDemoPlant) {
  const auto site = btms::model::demo_site();
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(BTMS_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".toml") continue;
    ++files;
    const auto result = btms::plant::parse_scenario_file(entry.path().string(), site);
    EXPECT_TRUE(result.ok()) << entry.path() << ":" << result.errors.front().line << ": "
                             << result.errors.front().reason;
    if (result.ok()) {
      EXPECT_FALSE(result.scenario->events.empty()) << entry.path();
    }
  }
  EXPECT_GE(files, 3);
}
