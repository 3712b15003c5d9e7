#pragma once
// One file per subcommand; each registers itself on the app and does its work in a callback.
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace notewise::cli {

struct Globals {
  bool quiet = false;  // -q: no progress or info lines (errors and warnings still go to stderr)
  bool force = false;  // --force: replace existing outputs
  int threads = -1;    // --threads / NOTEWISE_THREADS: 0 auto, N; -1 not given (threads.hpp)
};

void add_spectrogram_command(CLI::App& app, Globals& globals);
void add_factorize_command(CLI::App& app, Globals& globals);
void add_separate_command(CLI::App& app, Globals& globals);
void add_decompose_command(CLI::App& app, Globals& globals);
void add_eval_command(CLI::App& app, Globals& globals);
void add_edit_command(CLI::App& app, Globals& globals);
void add_plot_command(CLI::App& app, Globals& globals);
void add_align_command(CLI::App& app, Globals& globals);
void add_compare_command(CLI::App& app, Globals& globals);
void add_nae_command(CLI::App& app, Globals& globals);
void add_batch_command(CLI::App& app, Globals& globals);
void add_mosaic_command(CLI::App& app, Globals& globals);
void add_drums_command(CLI::App& app, Globals& globals);
void add_live_command(CLI::App& app, Globals& globals);

// Runs check(); an InvalidArgument it throws becomes a usage error (exit 2), since option
// values are what it checks.
template <class F>
void validate_options(F&& check) {
  try {
    check();
  } catch (const std::exception& e) {
    throw CLI::ValidationError(e.what());
  }
}


}  // namespace notewise::cli
namespace notewise::io {
class OutputRun;
}
namespace notewise::cli {

// Fails (IoError) before any work if DIR cannot be written, is locked by another run, or holds
// one of `files` already (unless --force). Write into run->staging(), then run->commit(marker);
// without the commit (an error, a signal) nothing of the run is left (io/output_run.hpp).
// For a usage error: "unknown command 'seperate'; did you mean 'separate'?" or the same for an
// option of the command, or "" when no name was mistyped. args in command-line order.
std::string did_you_mean(CLI::App& app, const std::vector<std::string>& args);

[[nodiscard]] std::unique_ptr<io::OutputRun> prepare_outputs(const std::string& dir, const std::vector<std::string>& files,
                                                             const Globals& globals);

}  // namespace notewise::cli
