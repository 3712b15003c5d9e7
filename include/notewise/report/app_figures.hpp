#pragma once
// The figures of the applications beside separation (issue #20): `drums` (NMFD activations and
// templates) and `mosaic` (activations, spectrograms, loss), as PNG files in a folder.
#include <string>

#include "notewise/mosaic/mosaic.hpp"
#include "notewise/separation/drums.hpp"

namespace notewise::report {

// DIR/activations.png (each drum class's activations scaled to its maximum, with the score's
// windows outlined) and DIR/templates.png (the classes' NMFD templates side by side, to 8 kHz).
// rate: the analysis rate of `o.stft`.
void draw_drum_figures(const DrumSeparation& d, const DrumOptions& o, int rate, const std::string& dir);

// DIR/activations.png (source frame against target frame), target.png and mosaic.png
// (log-magnitude spectrograms to 5 kHz) and loss.png.
void draw_mosaic_figures(const mosaic::Result& r, const mosaic::Options& o, int rate, const std::string& dir);

}  // namespace notewise::report
