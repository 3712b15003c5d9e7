// notewise: score-informed music audio decomposition.
// Exit codes (stable): 0 success, 1 bad input or failure, 2 usage error.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <algorithm>
#include <regex>

#include "commands.hpp"
#include "help.hpp"
#include "model_args.hpp"
#include "report_run.hpp"
#include "cpu_setup.hpp"
#include "notewise/core/error.hpp"
#include "notewise/core/threads.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/io/output_run.hpp"
#include "notewise/version.hpp"

namespace notewise::cli {

std::unique_ptr<io::OutputRun> prepare_outputs(const std::string& dir, const std::vector<std::string>& files,
                                               const Globals& globals) {
  auto run = std::make_unique<io::OutputRun>(dir, globals.force);
  run->expect(files);
  return run;
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The candidate nearest `word` (at most a third of its letters different), or "".
std::string nearest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    const std::size_t e = edit_distance(word, c);
    if (e < d) {
      d = e;
      best = c;
    }
  }
  return best;
}

}  // namespace

std::string did_you_mean(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> commands;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) commands.push_back(sub->get_name());
  const std::vector<CLI::App*> chosen = app.get_subcommands();
  if (chosen.empty()) {
    // The first word that is not a global option names the command; an option before it that
    // is not a global one is the mistake ("notewise --bogus").
    std::vector<std::string> globals;
    for (const CLI::Option* o : app.get_options())
      for (const auto& l : o->get_lnames()) globals.push_back("--" + l);
    for (const auto& a : args) {
      if (a.rfind("--", 0) == 0) {
        const std::string name = a.substr(0, a.find('='));
        if (std::find(globals.begin(), globals.end(), name) != globals.end()) continue;
        const std::string m = nearest(name, globals);
        return "unknown option '" + name + "'" + (m.empty() ? "" : "; did you mean '" + m + "'?") + " (see notewise --help)";
      }
      if (!a.empty() && a[0] == '-') continue;
      if (std::find(commands.begin(), commands.end(), a) != commands.end()) return "";
      const std::string m = nearest(a, commands);
      return "unknown command '" + a + "'" + (m.empty() ? "" : "; did you mean '" + m + "'?") + " (see notewise --help)";
    }
    return "";
  }
  // An option the (innermost) command does not know.
  CLI::App* cmd = chosen.back();
  while (!cmd->get_subcommands().empty()) cmd = cmd->get_subcommands().back();
  std::string path = cmd->get_name();  // "nae train"
  for (const CLI::App* up = cmd->get_parent(); up != nullptr && up->get_parent() != nullptr; up = up->get_parent())
    path = up->get_name() + " " + path;
  const std::vector<CLI::App*> subs = cmd->get_subcommands([](CLI::App*) { return true; });
  if (!subs.empty()) {  // a command of commands (nae): its word after the command's name
    std::vector<std::string> sub_names;
    for (const CLI::App* sc : subs) sub_names.push_back(sc->get_name());
    const auto at = std::find(args.begin(), args.end(), cmd->get_name());
    for (auto it = at == args.end() ? at : at + 1; it != args.end(); ++it) {
      if (!it->empty() && (*it)[0] == '-') continue;
      const std::string m = nearest(*it, sub_names);
      return path + ": unknown command '" + *it + "'" + (m.empty() ? "" : "; did you mean '" + m + "'?") +
             " (see notewise " + path + " --help)";
    }
  }
  std::vector<std::string> options;
  for (const CLI::Option* o : cmd->get_options())
    for (const auto& l : o->get_lnames()) options.push_back("--" + l);
  for (const CLI::Option* o : app.get_options())
    for (const auto& l : o->get_lnames()) options.push_back("--" + l);
  for (const auto& a : args) {
    if (a.rfind("--", 0) != 0) continue;
    const std::string name = a.substr(0, a.find('='));
    if (std::find(options.begin(), options.end(), name) != options.end()) continue;
    const std::string m = nearest(name, options);
    return path + ": unknown option '" + name + "'" + (m.empty() ? "" : "; did you mean '" + m + "'?") +
           " (see notewise " + path + " --help)";
  }
  return "";
}

}  // namespace notewise::cli

// OpenMP reads OMP_WAIT_POLICY once, when its runtime loads, before main(): waiting threads
// that spin take the cores other processes need (a run beside two busy processes was 100x
// slower with two spinning threads on a small factorisation). Passive waiting unless the user
// chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT): set from the executable's preinit array, which
// runs before any shared library's initialisers. A setenv there is not enough: glibc (2.36)
// resets the environment to the process's original array when libc initialises, after the
// preinit functions and before libgomp reads it (so until issue #38 the program spun: at two
// threads beside other work, 1.6-1.9x the CPU time). So the original array itself carries the
// setting while the libraries load: one entry that no library reads when it loads lends its
// slot, and main() gives it back first thing (restore_environment).
namespace {
char g_passive[] = "OMP_WAIT_POLICY=PASSIVE";
char** g_lent_slot = nullptr;  // the entry of the original environment that carried g_passive
char* g_lent_entry = nullptr;  // and what it held
bool starts_with(const char* s, const char* prefix) { return std::strncmp(s, prefix, std::strlen(prefix)) == 0; }
void prefer_passive_waiting(int, char**, char** envp) {
  if (envp == nullptr) return;
  for (char** e = envp; *e; ++e)
    if (starts_with(*e, "OMP_WAIT_POLICY=") || starts_with(*e, "GOMP_SPINCOUNT=")) return;  // the user's choice
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);  // where the C library keeps the environment set here
  for (char** e = envp; *e; ++e) {
    bool read_at_load = false;  // by the dynamic loader, the C library, OpenMP or OpenBLAS
    for (const char* p : {"OMP_", "GOMP_", "KMP_", "OPENBLAS_", "GOTO", "LD_", "MALLOC_", "GLIBC_"})
      read_at_load = read_at_load || starts_with(*e, p);
    if (read_at_load) continue;
    g_lent_slot = e;
    g_lent_entry = *e;
    *e = g_passive;
    return;
  }
}
[[gnu::section(".preinit_array"), gnu::used]] void (*const g_prefer_passive_waiting)(int, char**, char**) =
    &prefer_passive_waiting;
// The lent entry back, and the setting in the environment as it now is (for child processes).
void restore_environment() {
  if (g_lent_slot == nullptr) return;
  *g_lent_slot = g_lent_entry;
  ::setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
}
}  // namespace

int main(int argc, char** argv) {
  using namespace notewise;
  restore_environment();
  cli::use_best_blas_kernels(argv);
  io::install_signal_cleanup();
  cli::set_command_line(argc, argv);  // shown in reports: the command that reproduces the run
  // --help-all: --help with every model option (they register hidden otherwise).
  bool help_all = false;
  for (int i = 1; i < argc; ++i) help_all = help_all || std::string(argv[i]) == "--help-all";
  cli::set_show_all_options(help_all);  // SIGINT/SIGTERM/SIGHUP: remove what the run created, then die of it

  CLI::App app{
      "notewise: score-informed music audio decomposition.\n"
      "Splits a recording into the sound of each note or group of notes, guided by its score.\n\n"
      "Typical use:\n"
      "  notewise separate mix.wav --score score.mid --out stems/     # stems/<label>.wav per hand/voice\n"
      "  notewise edit mix.wav --score score.mid --gain left=-6dB --out edited.wav\n"
      "  notewise edit mix.wav --score score.mid --transpose 'pitch==64'=+1 --out edited.wav\n"
      "  notewise eval --reference truth/ --estimate stems/           # SDR, SIR, SAR, SI-SDR\n"
      "  notewise decompose mix.wav --score score.mid --out run/      # W, H, note-wise activations\n"
      "  notewise factorize V.npy --rank 40 --out nmf/                # plain NMF of any matrix\n"
      "  notewise nae train --audio a.wav --score a.csv --out piano/  # an autoencoder for new pieces\n"
      "  notewise separate new.wav --score new.csv --model piano/ --out stems/\n"
      "  notewise drums beat.wav --score beat.mid --out stems/       # kick, snare, hihat, ...\n"
      "  notewise mosaic target.wav --source bees.wav --out mosaic.wav  # target rebuilt from source frames\n\n"
      "Exit codes: 0 success, 1 bad input or failure, 2 usage error.\n"
      "Run 'notewise <command> --help' for the options of a command (--help-all: every option).",
      "notewise"};
  app.set_version_flag("--version", std::string("notewise ") + kVersion);
  app.formatter(std::make_shared<cli::HelpFormatter>());
  app.require_subcommand(1);
  app.fallthrough();
  cli::Globals globals;
  app.add_flag("-q,--quiet", globals.quiet, "No progress or information on stderr (errors and warnings still)");
  app.add_flag("--force", globals.force, "Replace existing output files");
  // The thread count applies before any command runs: option callbacks run before the
  // command's. Not given: the CPUs this process may use (affinity, cgroup quota).
  threads::set_limit(0);
  app.add_option_function<std::string>(
         "--threads",
         [&globals](const std::string& v) {
           const int n = threads::parse_count(v.c_str());
           if (n < 0) throw CLI::ValidationError("--threads", "must be auto or a count 1 .. 1024, not '" + v + "'");
           globals.threads = n;
           threads::set_limit(n);
         },
         "Threads to use (default auto: the CPUs this process may use; small jobs run on one)")
      ->envname("NOTEWISE_THREADS")
      ->type_name("N|auto")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  cli::add_separate_command(app, globals);
  cli::add_decompose_command(app, globals);
  cli::add_edit_command(app, globals);
  cli::add_eval_command(app, globals);
  cli::add_plot_command(app, globals);
  cli::add_align_command(app, globals);
  cli::add_compare_command(app, globals);
  cli::add_nae_command(app, globals);
  cli::add_batch_command(app, globals);
  cli::add_mosaic_command(app, globals);
  cli::add_drums_command(app, globals);
  cli::add_live_command(app, globals);
  cli::add_spectrogram_command(app, globals);
  cli::add_factorize_command(app, globals);
  cli::organise_help(app);

  // "--align auto" as two words reads as --align=auto (a flag's value would otherwise be taken
  // for the next positional argument).
  std::vector<std::string> args;
  for (int i = argc - 1; i >= 1; --i) args.emplace_back(std::string(argv[i]) == "--help-all" ? "--help" : argv[i]);  // reversed, as CLI11 wants
  for (std::size_t i = args.size(); i-- > 1;)
    if (args[i] == "--align" && (args[i - 1] == "auto" || args[i - 1] == "yes" || args[i - 1] == "no")) {
      args[i] = "--align=" + args[i - 1];
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i - 1));
    }

  const std::vector<std::string> given(args.rbegin(), args.rend());  // parse() consumes args
  try {
    app.parse(args);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    // Usage errors in the same one-line form as the others (CLI11 would print two lines),
    // with a guess at what was meant where a name is mistyped.
    std::string what = cli::flag_text(e.what());  // the library names settings, the command line spells them as flags
    std::replace(what.begin(), what.end(), '\n', ' ');
    what = std::regex_replace(what, std::regex(R"((\d)\.0+\b)"), "$1");  // CLI11's ranges: "0.000000 to 10.000000"
    if (what == "A subcommand is required") what = "a command is required";
    // --align's value is optional, so a wrong one reads as an extra argument to CLI11.
    for (std::size_t i = 0; i + 1 < given.size(); ++i)
      if (given[i] == "--align" && what.find("not expected: " + given[i + 1]) != std::string::npos)
        what = "--align takes auto, yes or no (or no value), not '" + given[i + 1] + "'";
    const std::string hint = cli::did_you_mean(app, given);
    // The help to see: the command's own, where one was chosen ("notewise nae train --help").
    std::string path;
    for (const CLI::App* c = &app; !c->get_subcommands().empty();) {
      c = c->get_subcommands().back();
      path += " " + c->get_name();
    }
    if (what == "a command is required" && hint.empty()) {
      // "notewise" (or "notewise nae") alone: the commands to choose from, one line each.
      const CLI::App* c = &app;
      while (!c->get_subcommands().empty()) c = c->get_subcommands().back();
      std::fprintf(stderr, "notewise: error: %sa command is required\n\nCommands:\n", path.empty() ? "" : (path.substr(1) + ": ").c_str());
      for (const CLI::App* sub : c->get_subcommands([](const CLI::App*) { return true; })) {
        std::string d = sub->get_description();
        d = d.substr(0, d.find('\n'));
        std::fprintf(stderr, "  %-12s %s\n", sub->get_name().c_str(), d.c_str());
      }
      std::fprintf(stderr, "\nRun 'notewise%s <command> --help' for its options, 'notewise --help' for examples.\n", path.c_str());
      return 2;
    }
    if (!hint.empty()) std::fprintf(stderr, "notewise: error: %s\n", hint.c_str());
    else std::fprintf(stderr, "notewise: error: %s%s (see notewise%s --help)\n", path.empty() ? "" : (path.substr(1) + ": ").c_str(),
                      what.c_str(), path.c_str());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "notewise: error: %s\n", io::staged_to_final(cli::flag_text(e.what())).c_str());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "notewise: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "notewise: error: %s\n", io::staged_to_final(e.what()).c_str());
    return 1;
  }
  return 0;
}
