#pragma once
// The options of commands that write audio: the file format (from the extension), the sample
// format of the lossless ones and the quality of the lossy ones.
#include <CLI/CLI.hpp>
#include <string>

#include "notewise/io/audio.hpp"
#include "notewise/separation/groups.hpp"

namespace notewise::cli {

struct AudioOutArgs {
  std::string sample = "pcm16";
  double quality = 8;
  CLI::Option* sample_option = nullptr;
  CLI::Option* quality_option = nullptr;

  // --format (pcm16 | pcm24 | float32) and --quality (0 .. 10).
  void add_to(CLI::App& cmd);
  // The encoding for `format`; InvalidArgument (a usage error where the caller maps it) for
  // --format given with a lossy format, --quality with a lossless one, or FLAC with float32.
  io::Encoding encoding(io::FileFormat format) const;
};

// --filename TEMPLATE and --keep-spaces: how the files of a command that writes one per group
// are named (the library's file_stems, which every such command uses).
struct StemNameArgs {
  FileNaming naming;
  void add_to(CLI::App& cmd);
  // InvalidArgument (a usage error where the caller maps it) for a template file_stems refuses.
  void validate() const { naming.validate(); }
  // The stems (names without extension) of the groups `names`; with `tell`, one warning line
  // on stderr naming the groups whose files were made distinct ("a,b -> a_b-2").
  std::vector<std::string> stems(const std::vector<std::string>& names, bool tell) const;
};

// Before any work: the input's channels (from its header) fit `encoding`'s format, or an
// InvalidArgument naming `out`. An input whose header cannot be read is left to its reader.
void check_output_channels(const std::string& audio, const std::string& out, const io::Encoding& encoding);

}  // namespace notewise::cli
