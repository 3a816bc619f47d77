// The layout of notify.db (schema part "notify"): the delivery log (version 1) and the outbox
// of messages not yet delivered (version 2). One definition for every connection that opens the
// file, so whichever opens it first brings it forward.
#pragma once

#include <string>

#include "ops/schema_version.hpp"

namespace btms::notify {

ops::Schema notify_db_schema(const std::string& file);

}  // namespace btms::notify
