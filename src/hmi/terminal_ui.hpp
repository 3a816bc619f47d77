// `btms hmi`: the full-screen display on a terminal (panel console, serial console, SSH).
#pragma once

#include <iosfwd>
#include <string>

namespace btms::hmi {

struct HmiOptions {
  std::string gateway_url;  // http://HOST:PORT
  std::string token_file;   // first line = API token; empty = none (loopback demo reads)
  bool monochrome = false;  // also when the terminal has no colours or NO_COLOR is set
};

// Runs until 'q' or SIGINT/SIGTERM. Returns the exit code; problems before the screen starts
// (bad URL, unreadable token file, not a terminal) go to err.
int run_hmi(const HmiOptions& options, std::ostream& err);

}  // namespace btms::hmi
