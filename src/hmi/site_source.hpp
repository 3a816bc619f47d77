// Where the display's site view comes from: a gateway over CAD (GatewayClient) or, standalone,
// the cabinet's own field buses (BusSource). The screen loop draws from either the same way.
#pragma once

#include <string>

#include "hmi/site_view.hpp"

namespace btms::hmi {

class SiteSource {
 public:
  virtual ~SiteSource() = default;
  virtual void start() = 0;
  virtual void stop() = 0;
  // A copy of the current view (the screen thread draws from it).
  virtual SiteView view() const = 0;
  // Acknowledges one alarm (key) or every alarm of a source ("" = site); outcome as notice.
  virtual void acknowledge(const std::string& key, const std::string& source,
                           const std::string& comment = "acknowledged on the HMI") = 0;
  // A message of the display itself on the status line.
  virtual void show_notice(std::string text) = 0;
  // Gives a UPS ("ups/3") or string ("string/5") a display name; outcome as notice.
  virtual void rename(const std::string& target, const std::string& name) = 0;
};

}  // namespace btms::hmi
