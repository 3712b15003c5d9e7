#pragma once
// A trained piano model on disk: a folder with
//   model.json   {"format": "notewise-nae-model", "version": 1, geometry, constraints, training}
//   encoder.npy  rows x bins (float32)
//   decoder.npy  bins x rows (float32)
//   hidden1.npy .. hiddenL.npy, out.npy   the experimental deeper encoder's layers, if any
// model.json is written last, so a folder with it is complete. Reading checks the format name,
// the version and every shape.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "notewise/score/pretrained.hpp"

namespace notewise::io {

constexpr int kModelVersion = 1;

// The files of a model folder with that many hidden layers.
std::vector<std::string> piano_model_files(int hidden_layers);

// Creates dir if needed; throws IoError if a file exists and !overwrite. `extra` goes into model.json as "training"
// (what it was trained on, for the record).
void write_piano_model(const std::string& dir, const PianoModel& model, const nlohmann::json& extra, bool overwrite);

// Throws IoError / ParseError naming the file and the problem.
PianoModel read_piano_model(const std::string& dir);

}  // namespace notewise::io
