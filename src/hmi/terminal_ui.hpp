// `btms hmi`: the full-screen display on a terminal (panel console, serial console, SSH).
#pragma once

#include <iosfwd>
#include <string>

#include "model/topology.hpp"

namespace btms::hmi {

struct HmiOptions {
  std::string gateway_url;  // https://HOST[:PORT] or http://HOST:PORT
  std::string cert_pin;     // https: SHA-256 of the gateway's certificate (AB:CD:... or hex)
  std::string ca_file;      // https: PEM CA file to verify the gateway with (default: system's)
  std::string token_file;   // first line = API token; empty = none (loopback demo reads)
  std::string pin_file;     // Argon2id hash of the acknowledgement PIN; empty = no PIN asked
  bool monochrome = false;  // also when the terminal has no colours or NO_COLOR is set
};

// Runs until 'q' or SIGINT/SIGTERM. Returns the exit code; problems before the screen starts
// (bad URL, unreadable token file, not a terminal) go to err.
int run_hmi(const HmiOptions& options, std::ostream& err);

// `btms hmi --config site.toml`: standalone, read-only, over the site's own field buses. First
// checks that no gateway already polls them (second_master_check.hpp): refuses with the reason
// on err and exit code 3 when one does. The site's buses must be where the devices answer.
int run_standalone_hmi(const model::Site& site, const HmiOptions& options, std::ostream& err);

// `btms hmi --set-pin --pin-file FILE`: reads a new PIN (one line) from in and writes its hash.
// from_terminal (standard input is a terminal): asks for it twice with the echo off.
int set_hmi_pin(const std::string& pin_file, std::istream& in, std::ostream& err,
                bool from_terminal = false);

}  // namespace btms::hmi
