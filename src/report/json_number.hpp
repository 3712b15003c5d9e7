#pragma once
// A number for report.json: finite values as they are, NaN and infinities as null (JSON has
// neither). Shared by the report's files.
#include <cmath>

#include <nlohmann/json.hpp>

namespace notewise::report {

inline nlohmann::json number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

}  // namespace notewise::report
