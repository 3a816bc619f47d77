// btms backup --data-dir DIR FILE and btms restore FILE --data-dir DIR: the data folder in one
// tar file and back (src/ops/data_dir_backup.hpp says what is in it and what is checked).
#include <fmt/format.h>

#include <iostream>

#include "app/commands.hpp"
#include "ops/data_dir_backup.hpp"

namespace btms::app {

namespace {
struct BackupArgs {
  std::string data_dir = "/var/lib/btms";
  std::string file;
  bool force = false;
};
}  // namespace

void register_backup(CLI::App& app, Registry& registry) {
  auto args = std::make_shared<BackupArgs>();
  auto* backup = app.add_subcommand(
      "backup",
      "Back up the gateway's history, events, users, audit log and settings into one tar file "
      "while it runs (consistent copy of each database, no stop needed)");
  backup->add_option("FILE", args->file, "The backup file to write (replaced when it exists)")
      ->required();
  backup->add_option("--data-dir", args->data_dir, "The gateway's data folder")
      ->check(non_empty_folder)
      ->capture_default_str();
  backup->callback([&registry, args] {
    registry.set_action([args] {
      try {
        const auto report =
            ops::backup_data_dir(args->data_dir, args->file, *model::system_clock());
        std::cout << fmt::format("backup {} written ({} bytes): {}\n", args->file,
                                 report.archive_bytes, fmt::join(report.files, ", "));
        return 0;
      } catch (const std::exception& e) {
        std::cerr << "btms backup: " << e.what() << "\n";
        return 1;
      }
    });
  });

  auto* restore = app.add_subcommand(
      "restore",
      "Restore a backup into a data folder (stop the gateway first): checks the backup's "
      "integrity and versions before anything is changed");
  restore->add_option("FILE", args->file, "The backup file to read")->required();
  restore->add_option("--data-dir", args->data_dir, "The data folder to restore into")
      ->check(non_empty_folder)
      ->capture_default_str();
  restore->add_flag("--force", args->force,
                    "Replace the data files a non-empty folder holds (refused without it)");
  restore->callback([&registry, args] {
    registry.set_action([args] {
      try {
        const auto report =
            ops::restore_data_dir(args->file, args->data_dir, {.force = args->force});
        std::cout << fmt::format("restored {} into {} (backup of BTMS {}): {}\n", args->file,
                                 args->data_dir, report.backup_btms_version,
                                 fmt::join(report.files, ", "));
        return 0;
      } catch (const std::exception& e) {
        std::cerr << "btms restore: " << e.what() << "\n";
        return 1;
      }
    });
  });
}

}  // namespace btms::app
