// btms token add|list|revoke: API tokens for machine clients of the gateway (the local display
// `btms hmi`, an aggregator). Wiring only: the work is in web/token_admin.
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.hpp"
#include "model/clock.hpp"
#include "web/token_admin.hpp"

namespace btms::app {

namespace {
struct TokenArgs {
  std::string name;
  std::string role = "viewer";
  std::string data_dir = "/var/lib/btms";
};

void add_data_dir(CLI::App* command, TokenArgs& args) {
  command->add_option("--data-dir", args.data_dir, "The gateway's data folder")
      ->check(non_empty_folder)
      ->capture_default_str();
}
}  // namespace

void register_token(CLI::App& app, Registry& registry) {
  auto* token =
      app.add_subcommand("token", "Manage API tokens of machine clients (HMI, aggregator)");
  token->require_subcommand(1);
  auto args = std::make_shared<TokenArgs>();
  // Tokens are about real expiry and real people's audit trail: wall-clock time.
  const auto clock = model::system_clock();

  auto* add = token->add_subcommand(
      "add", "Add a token and print it once (use it as 'Authorization: Bearer TOKEN')");
  add->add_option("NAME", args->name, "Token name ([a-z0-9_.-], up to 32 characters)")->required();
  add->add_option("--role", args->role, "viewer or operator")
      ->check(CLI::IsMember({"viewer", "operator"}))
      ->capture_default_str();
  add_data_dir(add, *args);
  add->callback([&registry, args, clock] {
    registry.set_action([args, clock] {
      return web::add_token(args->data_dir, args->name, args->role, clock->now_ms(), std::cout,
                            std::cerr);
    });
  });

  auto* list = token->add_subcommand("list", "List tokens with their role and last use");
  add_data_dir(list, *args);
  list->callback([&registry, args, clock] {
    registry.set_action([args, clock] {
      return web::list_tokens(args->data_dir, clock->now_ms(), std::cout, std::cerr);
    });
  });

  auto* revoke = token->add_subcommand("revoke", "Revoke a token (takes effect at once)");
  revoke->add_option("NAME", args->name, "Token name")->required();
  add_data_dir(revoke, *args);
  revoke->callback([&registry, args, clock] {
    registry.set_action([args, clock] {
      return web::revoke_token(args->data_dir, args->name, clock->now_ms(), std::cout, std::cerr);
    });
  });
}

}  // namespace btms::app
