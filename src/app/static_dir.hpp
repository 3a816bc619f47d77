// Where the built web UI is: next to the source tree the binary was built in (build/btms ->
// web/dist), unless --static-dir says otherwise.
#pragma once

#include <string>

namespace btms::app {

// "" when no built UI is found (the web server then serves its built-in page).
std::string default_static_dir();

}  // namespace btms::app
