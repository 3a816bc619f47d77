#include "app/static_dir.hpp"

#include <filesystem>

namespace btms::app {

std::string default_static_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const auto& candidate : {exe.parent_path() / "../web/dist", exe.parent_path() / "web"}) {
    if (fs::exists(candidate / "index.html", ec)) return fs::canonical(candidate, ec).string();
  }
  return "";
}

}  // namespace btms::app
