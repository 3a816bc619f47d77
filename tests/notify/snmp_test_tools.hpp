// What the SNMP tests share: a free loopback UDP port, running a net-snmp command-line tool, and
// an snmpd started as AgentX master in a temporary folder (its socket there, SNMP on a free
// loopback port, community "public"), stopped with the object.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "tests/e2e/process.hpp"

namespace btms::notify::snmp_test {

// A UDP port nobody uses now: bound once to learn a free number, then closed.
inline int free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Runs a command (a net-snmp tool) and returns its stdout and stderr.
inline std::string run(const std::string& command) {
  std::string out;
  if (FILE* f = ::popen((command + " 2>&1").c_str(), "r")) {
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
    ::pclose(f);
  }
  return out;
}

class Snmpd {
 public:
  Snmpd() : port_(free_udp_port()), socket_(folder_.path() + "/agentx.sock") {
    const auto conf = folder_.path() + "/snmpd.conf";
    std::ofstream(conf) << "master agentx\n"
                        << "agentXSocket " << socket_ << "\n"
                        << "agentaddress udp:127.0.0.1:" << port_ << "\n"
                        << "rocommunity public 127.0.0.1\n";
    child_ = std::make_unique<e2e::ChildProcess>(std::vector<std::string>{
        "/usr/sbin/snmpd", "-f", "-Lf", folder_.path() + "/snmpd.log", "-C", "-c", conf, "-p",
        folder_.path() + "/snmpd.pid", "--persistentDir=" + folder_.path(), "-I",
        "-system_mib,ifTable,ipAddressTable"});
    // A subagent connecting before the socket exists retries only 5 s later: wait for it.
    for (int i = 0; i < 100 && !std::filesystem::exists(socket_); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  bool ready() const { return std::filesystem::exists(socket_); }
  const std::string& agentx_socket() const { return socket_; }
  // snmpget printing the value only; snmpwalk printing numeric OIDs. No MIB files loaded.
  std::string get(const std::string& oid) const {
    return run("snmpget -v2c -c public -On -Oqv -m '' -M /dev/null -t 1 -r 0 " + target() + " " +
               oid);
  }
  std::string walk(const std::string& oid) const {
    return run("snmpwalk -v2c -c public -On -m '' -M /dev/null -t 1 -r 0 " + target() + " " + oid);
  }

 private:
  std::string target() const { return "udp:127.0.0.1:" + std::to_string(port_); }

  e2e::TempFolder folder_;
  int port_;
  std::string socket_;
  std::unique_ptr<e2e::ChildProcess> child_;
};

}  // namespace btms::notify::snmp_test
