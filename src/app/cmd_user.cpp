// btms user add NAME --role ROLE --data-dir DIR: creates a login from the shell (the first
// admin of a new gateway, for example). The password is read from standard input, never argv.
#include <iostream>

#include "app/commands.hpp"
#include "web/user_admin.hpp"

namespace btms::app {

namespace {
struct UserAddArgs {
  std::string name;
  std::string role = "viewer";
  std::string data_dir = "/var/lib/btms";
};
}  // namespace

void register_user(CLI::App& app, Registry& registry) {
  auto* user = app.add_subcommand("user", "Manage the gateway's logins");
  user->require_subcommand(1);
  auto args = std::make_shared<UserAddArgs>();
  auto* add = user->add_subcommand(
      "add", "Add a user; the password is read from standard input (asked twice on a terminal)");
  add->add_option("NAME", args->name, "User name ([a-z0-9_.-], up to 32 characters)")->required();
  add->add_option("--role", args->role, "viewer, operator or admin")
      ->check(CLI::IsMember({"viewer", "operator", "admin"}))
      ->capture_default_str();
  add->add_option("--data-dir", args->data_dir, "The gateway's data folder")
      ->check(non_empty_folder)
      ->capture_default_str();
  add->callback([&registry, args] {
    registry.set_action([args] {
      return web::add_user_interactive(args->data_dir, args->name, args->role, std::cin, std::cout,
                                       std::cerr);
    });
  });
}

}  // namespace btms::app
