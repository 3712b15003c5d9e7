// The files of a live run: the loop that feeds blocks and writes the growing stems, then
// aligned.csv (report/live_files.hpp).
#include "notewise/report/live_files.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <thread>

#include "notewise/core/error.hpp"
#include "notewise/io/atomic_file.hpp"
#include "notewise/report/alignment_files.hpp"

namespace notewise::report {

std::vector<LiveMix> live_mixes(const Grouping& groups, const std::vector<std::string>& minus,
                                const std::vector<std::string>& only) {
  const auto group_index = [&](const std::string& name) {
    for (std::size_t g = 0; g < groups.names.size(); ++g)
      if (groups.names[g] == name) return g;
    std::string known;
    for (const auto& n : groups.names) known += (known.empty() ? "" : ", ") + n;
    throw InvalidArgument("no group '" + name + "' (groups: " + known + ")");
  };
  std::vector<LiveMix> mixes;
  for (const auto& l : minus) {
    LiveMix m{"minus-" + safe_file_name(l), std::vector<bool>(groups.names.size(), true)};
    m.include[group_index(l)] = false;
    mixes.push_back(m);
  }
  for (const auto& l : only) {
    LiveMix m{"only-" + safe_file_name(l), std::vector<bool>(groups.names.size(), false)};
    m.include[group_index(l)] = true;
    mixes.push_back(m);
  }
  return mixes;
}

LiveFiles::LiveFiles(const std::string& dir, const Grouping& groups, std::vector<LiveMix> mixes, int channels, int rate,
                     bool overwrite)
    : dir_(dir), groups_(groups.names.size()), mixes_(std::move(mixes)), overwrite_(overwrite) {
  io::ensure_output_dir(dir);
  const std::filesystem::path d(dir);
  std::vector<std::string> names = file_stems(groups.names);
  for (const auto& m : mixes_) names.push_back(m.file);
  aligned_ = (d / "aligned.csv").string();
  io::check_writable(aligned_, overwrite);
  io::Encoding enc;
  enc.format = io::FileFormat::Wav;
  enc.sample = io::SampleFormat::Float32;
  for (const auto& n : names)
    writers_.push_back(std::make_unique<io::AudioWriter>((d / (n + ".wav")).string(), channels, rate, enc, overwrite, true));
}

LiveFiles::~LiveFiles() = default;

void LiveFiles::write(const LiveBlock& b, const LiveSeparator& live) {
  const Index skip = std::min(b.frames, std::max<Index>(0, live.latency_samples() - skipped_));
  skipped_ += skip;
  const Index n = b.frames - skip;
  if (n == 0) return;
  for (std::size_t g = 0; g < groups_; ++g) writers_[g]->write(b.stems[g].bottomRows(n));
  for (std::size_t k = 0; k < mixes_.size(); ++k)
    writers_[groups_ + k]->write(LiveSeparator::mix(b, mixes_[k].include).bottomRows(n));
}

LiveRunSummary LiveFiles::finish(LiveSeparator& live, const std::string& input_name, const std::string& score_path,
                                 LiveBlock* last) {
  LiveBlock b = live.finish();
  write(b, live);
  if (last) *last = std::move(b);
  LiveRunSummary s;
  s.input_samples = live.input_samples();
  if (s.input_samples == 0) throw IoError(input_name, "no samples");
  for (auto& w : writers_) w->commit();
  Alignment al;
  al.aligned = live.followed_score(&al.confidence);
  double mean = 0;
  for (double c : al.confidence) mean += c;
  al.mean_confidence = al.confidence.empty() ? 0 : mean / static_cast<double>(al.confidence.size());
  write_aligned_score(aligned_, score_path, al, overwrite_);
  for (double o : live.follower().onsets()) s.notes_passed += std::isfinite(o) ? 1 : 0;
  s.notes = al.aligned.size();
  s.mean_confidence = al.mean_confidence;
  s.lost = live.follower().state().lost;
  s.files = writers_.size();
  return s;
}

LiveRunSummary LiveFiles::run(io::AudioBlocks& input, LiveSeparator& live, const std::string& input_name,
                              const std::string& score_path, bool realtime,
                              const std::function<void(const FollowerState&)>& on_status) {
  const int rate = input.sample_rate();
  const Index block = std::max<Index>(1, live.hop());
  const auto wall0 = std::chrono::steady_clock::now();
  const std::clock_t cpu0 = std::clock();
  MatrixXf buf(block, input.channels());
  Index next_status = rate;
  for (Index at = 0, n; (n = input.read(buf, block)) > 0;) {
    at += n;
    write(live.push(buf.topRows(n)), live);
    if (on_status && at >= next_status) {
      next_status += rate;
      on_status(live.follower().state());
    }
    if (realtime) std::this_thread::sleep_until(wall0 + std::chrono::duration<double>(static_cast<double>(at) / rate));
  }
  const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  LiveRunSummary s = finish(live, input_name, score_path);
  s.cpu_seconds = cpu;
  return s;
}

}  // namespace notewise::report
