// GET/PUT /api/v1/names: display names of UPSs and strings (web/display_names.hpp). PUT needs
// an operator (the panel at the cabinet renames with its operator token) and is audited.
#pragma once

#include "web/api_handlers.hpp"
#include "web/auth_handlers.hpp"
#include "web/router.hpp"

namespace btms::web {

// api.names and api.site must be set; api and auth must outlive the router.
void add_name_routes(Router& router, const ApiContext& api, AuthContext& auth);

}  // namespace btms::web
