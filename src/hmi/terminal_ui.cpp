#include "hmi/terminal_ui.hpp"

#include <curses.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <clocale>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>

#include <fmt/format.h>

#include "hmi/bus_source.hpp"
#include "hmi/gateway_client.hpp"
#include "hmi/navigation.hpp"
#include "hmi/pin_hash.hpp"
#include "hmi/pin_throttle.hpp"
#include "hmi/screen_layout.hpp"
#include "hmi/second_master_check.hpp"
#include "model/clock.hpp"

namespace btms::hmi {

namespace {

// Self-pipe: the gateway client's thread and the signal handler wake the screen's poll().
int g_wake_pipe[2] = {-1, -1};
volatile sig_atomic_t g_quit = 0;

void wake_screen() {
  const char byte = 1;
  // A full pipe already holds a wake-up: nothing is lost by failing here.
  [[maybe_unused]] const auto n = ::write(g_wake_pipe[1], &byte, 1);
}

void on_stop_signal(int) {
  g_quit = 1;
  wake_screen();
}

void drain(int fd) {
  char buffer[256];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
}

enum Pair : short { kTitle = 1, kSelected, kDim, kOk, kWarning, kAlarm, kBanner, kHelp };

attr_t attributes(Style style, bool colour) {
  if (!colour) {
    switch (style) {
      case Style::normal:
      case Style::ok:
        return A_NORMAL;
      case Style::title:
      case Style::help:
      case Style::selected:
      case Style::banner:
        return A_REVERSE;
      case Style::dim:
        return A_DIM;
      case Style::warning:
      case Style::alarm:
        return A_BOLD;
    }
    return A_NORMAL;
  }
  switch (style) {
    case Style::normal:
      return A_NORMAL;
    case Style::title:
      return COLOR_PAIR(kTitle);
    case Style::selected:
      return COLOR_PAIR(kSelected) | A_BOLD;
    case Style::dim:
      return COLOR_PAIR(kDim) | A_DIM;
    case Style::ok:
      return COLOR_PAIR(kOk);
    case Style::warning:
      return COLOR_PAIR(kWarning) | A_BOLD;
    case Style::alarm:
      return COLOR_PAIR(kAlarm) | A_BOLD;
    case Style::banner:
      return COLOR_PAIR(kBanner) | A_BOLD;
    case Style::help:
      return COLOR_PAIR(kHelp);
  }
  return A_NORMAL;
}

void draw(const CharGrid& grid, bool colour) {
  for (int y = 0; y < grid.height(); ++y) {
    for (int x = 0; x < grid.width(); ++x) {
      const auto& cell = grid.at(x, y);
      wchar_t text[2] = {static_cast<wchar_t>(cell.ch), L'\0'};
      cchar_t c;
      setcchar(&c, text, attributes(cell.style, colour), 0, nullptr);
      // The bottom-right cell cannot be written without scrolling on some terminals: ncurses
      // reports an error but draws it; nothing to do about it.
      mvadd_wch(y, x, &c);
    }
  }
  wnoutrefresh(stdscr);
  doupdate();
}

std::optional<Key> to_key(int ch) {
  switch (ch) {
    case KEY_UP:
      return Key::up;
    case KEY_DOWN:
      return Key::down;
    case KEY_LEFT:
      return Key::left;
    case KEY_RIGHT:
      return Key::right;
    case KEY_PPAGE:
      return Key::page_up;
    case KEY_NPAGE:
      return Key::page_down;
    case KEY_HOME:
      return Key::home;
    case KEY_END:
    case KEY_LL:
      return Key::end;
    case '\n':
    case '\r':
    case KEY_ENTER:
      return Key::enter;
    case 27:
      return Key::escape;
    case KEY_BACKSPACE:
    case 127:
    case 8:
      return Key::backspace;
    case 'a':
      return Key::acknowledge;
    case 'r':
      return Key::rename;
    case 'A':
      return Key::acknowledge_all;
    case '!':
      return Key::alarms;
    case 'q':
    case 'Q':
      return Key::quit;
    default:
      return std::nullopt;
  }
}

std::string clock_text(std::int64_t now_ms) {
  const std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::optional<std::string> read_token(const std::string& path, std::ostream& err) {
  if (path.empty()) return std::string{};
  std::ifstream in(path);
  std::string token;
  if (!in || !std::getline(in, token)) {
    err << "cannot read the token file " << path << '\n';
    return std::nullopt;
  }
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty()) {
    err << "the token file " << path << " is empty\n";
    return std::nullopt;
  }
  return token;
}

}  // namespace

namespace {

std::string read_pin_line(std::istream& in) {
  std::string pin;
  std::getline(in, pin);
  while (!pin.empty() && (pin.back() == '\r' || pin.back() == ' ')) pin.pop_back();
  return pin;
}

// One line from the terminal on standard input with its echo off: a PIN typed at the panel
// must not stay on its screen (or in a serial console's scrollback).
std::string read_pin_without_echo(std::istream& in, std::ostream& err, const char* prompt) {
  err << prompt << std::flush;
  termios saved{};
  const bool have_terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (have_terminal) {
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
    quiet.c_lflag |= ECHONL;  // the Enter still moves to the next line
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  auto pin = read_pin_line(in);
  if (have_terminal) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  return pin;
}

}  // namespace

int set_hmi_pin(const std::string& pin_file, std::istream& in, std::ostream& err,
                bool from_terminal) {
  std::string pin;
  if (from_terminal) {
    pin = read_pin_without_echo(in, err, "New PIN (4-12 digits): ");
    if (const auto problem = pin_format_problem(pin)) {
      err << "btms hmi: " << *problem << '\n';
      return 2;
    }
    if (read_pin_without_echo(in, err, "The same PIN again: ") != pin) {
      err << "btms hmi: the two PINs differ; nothing written\n";
      return 2;
    }
  } else {
    pin = read_pin_line(in);
  }
  if (const auto problem = pin_format_problem(pin)) {
    err << "btms hmi: " << *problem << '\n';
    return 2;
  }
  try {
    write_pin_hash(pin_file, pin);
  } catch (const std::exception& e) {
    err << "btms hmi: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

namespace {

// Checks a PIN typed for an acknowledgement (throttled) and sends the acknowledgement when it
// is right; the outcome is the status line's notice.
void acknowledge_with_pin(const Command& command, const PinVerifier& verifier,
                          PinThrottle& throttle, std::int64_t now_ms, SiteSource& client) {
  if (const auto wait_ms = throttle.wait_ms(now_ms); wait_ms > 0) {
    client.show_notice(fmt::format("not acknowledged: too many wrong PINs, try again in {} s",
                                   (wait_ms + 999) / 1000));
    return;
  }
  if (!verifier.matches(command.pin)) {
    throttle.wrong(now_ms);
    const auto wait_ms = throttle.wait_ms(now_ms);
    client.show_notice(wait_ms > 0 ? fmt::format("wrong PIN: locked for {} s", wait_ms / 1000)
                                   : fmt::format("wrong PIN ({} more before a lockout)",
                                                 throttle.free_attempts_left()));
    return;
  }
  throttle.right();
  client.acknowledge(command.key, command.source, "acknowledged on the HMI with its PIN");
}

}  // namespace

namespace {

// Builds the view's source once the screen's clock and wake-up exist.
using SourceFactory =
    std::function<std::unique_ptr<SiteSource>(std::shared_ptr<const model::Clock>)>;

// The screen loop over either source: draws, reads keys and clicks, sends the actions.
int run_screen(const HmiOptions& options, const SourceFactory& make_source,
               const std::optional<PinVerifier>& pin_verifier, std::ostream& err);

}  // namespace

int run_hmi(const HmiOptions& options, std::ostream& err) {
  std::string reason;
  const auto address = parse_gateway_url(options.gateway_url, &reason);
  if (!address) {
    err << "btms hmi: " << reason << '\n';
    return 2;
  }
  const auto token = read_token(options.token_file, err);
  if (!token) return 2;
  GatewayTrust trust;
  trust.ca_file = options.ca_file;
  if (!options.cert_pin.empty()) {
    trust.cert_pin = parse_cert_pin(options.cert_pin);
    if (!trust.cert_pin) {
      err << "btms hmi: --cert-pin must be a SHA-256 fingerprint (AB:CD:... or 64 hex digits)\n";
      return 2;
    }
  }
  std::optional<PinVerifier> pin_verifier;
  if (!options.pin_file.empty()) {
    try {
      pin_verifier.emplace(options.pin_file);
    } catch (const std::exception& e) {
      err << "btms hmi: " << e.what() << '\n';
      return 2;
    }
  }
  if (!address->tls && (trust.cert_pin || !trust.ca_file.empty())) {
    err << "btms hmi: --cert-pin and --ca-file are for https:// gateways\n";
    return 2;
  }
  return run_screen(
      options,
      [&](std::shared_ptr<const model::Clock> clock) {
        return std::make_unique<GatewayClient>(*address, *token, trust, std::move(clock),
                                               wake_screen);
      },
      pin_verifier, err);
}

int run_standalone_hmi(const model::Site& site, const HmiOptions& options, std::ostream& err) {
  if (!options.token_file.empty() || !options.pin_file.empty() || !options.cert_pin.empty() ||
      !options.ca_file.empty()) {
    err << "btms hmi: --config is standalone and read-only: --token, --pin-file, --cert-pin and "
           "--ca-file are for --gateway\n";
    return 2;
  }
  // Before a single frame goes out: is another master already on these buses?
  for (const auto& check : check_site_buses(site)) {
    if (check.verdict != BusVerdict::free) {
      err << "btms hmi: " << check.message << '\n';
      return 3;
    }
  }
  std::optional<PinVerifier> no_pin;
  return run_screen(
      options,
      [&](std::shared_ptr<const model::Clock> clock) {
        return std::make_unique<BusSource>(site, std::move(clock), wake_screen);
      },
      no_pin, err);
}

namespace {

int run_screen(const HmiOptions& options, const SourceFactory& make_source,
               const std::optional<PinVerifier>& pin_verifier, std::ostream& err) {
  PinThrottle pin_throttle;
  if (::isatty(STDIN_FILENO) != 1 || ::isatty(STDOUT_FILENO) != 1) {
    err << "btms hmi: needs a terminal (run it on a console, over SSH or in tmux)\n";
    return 2;
  }
  if (::pipe2(g_wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
    err << "btms hmi: cannot create a pipe\n";
    return 1;
  }
  // The display runs on real time: its clock and the link's age are about the people in front
  // of it.
  const auto clock = model::system_clock();
  std::unique_ptr<SiteSource> client_holder;
  try {
    client_holder = make_source(clock);
  } catch (const std::exception& e) {
    err << "btms hmi: " << e.what() << '\n';
    ::close(g_wake_pipe[0]);
    ::close(g_wake_pipe[1]);
    return 2;
  }
  SiteSource& client = *client_holder;

  std::setlocale(LC_ALL, "");
  ::setenv("ESCDELAY", "25", 0);  // Esc alone must not wait a second for a sequence
  initscr();
  cbreak();
  noecho();
  nonl();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  curs_set(0);
  mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_RELEASED, nullptr);
  mouseinterval(0);
  const bool colour = !options.monochrome && std::getenv("NO_COLOR") == nullptr && has_colors();
  if (colour) {
    start_color();
    use_default_colors();
    init_pair(kTitle, COLOR_WHITE, COLOR_BLUE);
    init_pair(kSelected, COLOR_BLACK, COLOR_CYAN);
    init_pair(kDim, COLOR_WHITE, -1);
    init_pair(kOk, COLOR_GREEN, -1);
    init_pair(kWarning, COLOR_YELLOW, -1);
    init_pair(kAlarm, COLOR_RED, -1);
    init_pair(kBanner, COLOR_WHITE, COLOR_RED);
    init_pair(kHelp, COLOR_BLACK, COLOR_WHITE);
  }
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);
  // Signals blocked by the app's main for its waiting threads are needed here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_UNBLOCK, &stop_signals, nullptr);

  client.start();
  Nav nav;
  nav.pin_required = pin_verifier.has_value();
  bool quit = false;
  while (!quit && !g_quit) {
    auto site = client.view();
    follow_alarms(nav, site);
    int height = 0;
    int width = 0;
    getmaxyx(stdscr, height, width);
    RenderInput in;
    in.width = width;
    in.height = height;
    const auto now_ms = clock->now_ms();
    in.clock_text = clock_text(now_ms);
    in.local_now_ms = now_ms;
    in.gateway_now_ms = site.gateway_now_ms(now_ms);
    const auto frame = render(site, nav, in);
    draw(frame.grid, colour);

    // Wake on a key, on news from the gateway, or at the next second for the clock and ages.
    pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {g_wake_pipe[0], POLLIN, 0}};
    const int wait_ms = static_cast<int>(1000 - now_ms % 1000);
    if (::poll(fds, 2, wait_ms) < 0 && errno != EINTR) break;
    if (fds[1].revents & POLLIN) drain(g_wake_pipe[0]);
    wint_t ch = 0;
    for (int kind = get_wch(&ch); kind != ERR; kind = get_wch(&ch)) {
      Command command;
      const bool function_key = kind == KEY_CODE_YES;
      const int code = static_cast<int>(ch);
      if (function_key && code == KEY_RESIZE) continue;  // the next render reads the new size
      if (function_key && code == KEY_MOUSE) {
        MEVENT event{};
        if (getmouse(&event) != OK) continue;
        if (!(event.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))) continue;
        for (const auto& hot : frame.hotspots) {
          if (event.x >= hot.x && event.x < hot.x + hot.w && event.y >= hot.y &&
              event.y < hot.y + hot.h) {
            command = handle_click(nav, hot, site, width, height);
            break;
          }
        }
      } else if ((nav.editing || nav.entering_pin) && !function_key && code >= 0x20 &&
                 code != 0x7F) {
        type_character(nav, static_cast<char32_t>(ch));  // typed into the name or the PIN
      } else if (const auto key = (function_key || code < 0x80) ? to_key(code) : std::nullopt) {
        // Function key codes overlap wide characters: only they and ASCII are keys.
        command = handle_key(nav, *key, site, width, height);
      }
      if (command.kind == Command::Kind::quit) quit = true;
      if (command.kind == Command::Kind::acknowledge && pin_verifier) {
        // Verifying costs about 0.1 s (Argon2id): the screen waits, the gateway does not.
        acknowledge_with_pin(command, *pin_verifier, pin_throttle, clock->now_ms(), client);
      } else if (command.kind == Command::Kind::acknowledge) {
        client.acknowledge(command.key, command.source);
      }
      if (command.kind == Command::Kind::rename) client.rename(command.target, command.name);
    }
  }
  endwin();
  client.stop();
  ::close(g_wake_pipe[0]);
  ::close(g_wake_pipe[1]);
  return 0;
}

}  // namespace

}  // namespace btms::hmi
