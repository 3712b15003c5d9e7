// Separate a recording into one stem per score label with an installed notewise.
#include <cstdio>
#include <string>

#include <notewise/io/audio.hpp>
#include <notewise/io/score_io.hpp>
#include <notewise/pipeline/pipeline.hpp>
#include <notewise/version.hpp>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s AUDIO SCORE OUT_DIR   (notewise %s)\n", argv[0], NOTEWISE_VERSION_STRING);
    return 2;
  }
  try {
    const notewise::io::Audio audio = notewise::io::read_audio(argv[1]);
    const auto r = notewise::separate_recording(audio.samples, audio.sample_rate, notewise::io::read_score(argv[2]));
    for (std::size_t g = 0; g < r.separation.stems.size(); ++g)
      notewise::io::write_wav(std::string(argv[3]) + "/" + r.input.groups.names[g] + ".wav", r.separation.stems[g],
                              audio.sample_rate, notewise::io::SampleFormat::Float32, true);
    std::printf("%zu stems, %d NMF iterations\n", r.separation.stems.size(), r.separation.decomposition.run.iterations);
  } catch (const notewise::Error& e) {
    std::fprintf(stderr, "separate_stems: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
