// Writes the seed corpora of the fuzz targets (generated, so that no binary is committed):
//   make_seeds OUTDIR   ->  OUTDIR/{midi,csv,musicxml,npy,selection,audio,model}/...
// Audio seeds are tiny WAV, FLAC, OGG/Vorbis, MP3, AIFF and AU files written by libsndfile.
#include <sndfile.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

void put(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::string npy(const std::string& dict, const std::string& data, int major = 1) {
  std::string h = dict;
  const std::size_t pre = major == 1 ? 10 : 12;
  h.append((64 - (pre + h.size() + 1) % 64) % 64, ' ');
  h.push_back('\n');
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const std::uint32_t n = static_cast<std::uint32_t>(h.size());
  out.push_back(static_cast<char>(n & 0xff));
  out.push_back(static_cast<char>((n >> 8) & 0xff));
  if (major != 1) {
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    out.push_back(static_cast<char>(n >> 24));
  }
  return out + h + data;
}

template <class T>
std::string values(std::size_t n, double scale) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    const T v = static_cast<T>(scale * (1.0 + std::sin(0.37 * static_cast<double>(i))));
    s.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return s;
}

void audio(const std::string& path, int format) {
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = 2;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (f == nullptr) {
    std::fprintf(stderr, "make_seeds: %s: %s (skipped)\n", path.c_str(), sf_strerror(nullptr));
    return;
  }
  std::vector<float> x(2 * 400);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.5f * std::sin(0.05f * static_cast<float>(i));
  sf_writef_float(f, x.data(), 400);
  sf_close(f);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string out = argv[1];
  for (const char* d : {"", "/midi", "/csv", "/musicxml", "/npy", "/selection", "/audio", "/model"}) ::mkdir((out + d).c_str(), 0777);
  put(out + "/npy/c_f4.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", values<float>(12, 1)));
  put(out + "/npy/f_f8.npy", npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", values<double>(6, 1), 2));
  put(out + "/npy/vec.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", values<float>(5, 1), 3));
  const char* selections[] = {"label==right && pitch>=72", "!(pitch<60 || velocity>100) && start>=1.5",
                              "label='a b' || label!=\"x\"", "((duration<0.5))", "index==2 || end<=3"};
  for (int i = 0; i < 5; ++i) put(out + "/selection/s" + std::to_string(i), selections[i]);
  audio(out + "/audio/a.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  audio(out + "/audio/b.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  audio(out + "/audio/c.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  audio(out + "/audio/d.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  audio(out + "/audio/e.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  audio(out + "/audio/f.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24);
  audio(out + "/audio/g.au", SF_FORMAT_AU | SF_FORMAT_PCM_S8);
  // A valid model of the smallest geometry: 176 rows (88 pitches + onsets), n_fft 16 -> 9 bins.
  const std::string json =
      "{\"format\": \"notewise-nae-model\", \"version\": 1, \"geometry\": {\"sample_rate\": 22050, \"n_fft\": 16, "
      "\"hop\": 8}, \"constraints\": {\"tolerance\": 0.03, \"tolerance_cents\": 0, \"partials\": 0, \"inharmonicity\": 0, "
      "\"partial_power\": 2, \"before\": 0.1, \"after\": 0.2, \"onset_templates\": true, \"onset_before\": 0.15, "
      "\"onset_after\": 0.1, \"velocity_start\": false}, \"encoder\": {\"hidden_layers\": 0, \"width\": 0}, \"loss\": \"kl\", "
      "\"epochs\": 3, \"final_loss_per_entry\": 0.5, \"training\": {}}";
  put(out + "/model/m0", json + "\n--npy--\n" +
                             npy("{'descr': '<f4', 'fortran_order': False, 'shape': (176, 9), }", values<float>(176 * 9, 0.1)) +
                             "\n--npy--\n" +
                             npy("{'descr': '<f4', 'fortran_order': False, 'shape': (9, 176), }", values<float>(176 * 9, 0.1)));
  return 0;
}
