#include "notewise/io/npy.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "notewise/core/error.hpp"
#include "test_util.hpp"

using namespace notewise;
using notewise::test::TempDir;

TEST(Npy, RoundTrip_KeepsOrientation) {
  TempDir dir;
  MatrixXf m(2, 3);
  m << 1, 2, 3, 4, 5, 6;
  io::write_npy(dir.file("m.npy"), m);
  EXPECT_EQ(io::read_npy(dir.file("m.npy")), m);
  const std::string bytes = test::read_bytes(dir.file("m.npy"));
  EXPECT_EQ(bytes.size() % 64, 24u);  // header padded to 64 bytes + 6 floats
  EXPECT_NE(bytes.find("'shape': (2, 3)"), std::string::npos);
}

namespace {
std::string npy(const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header.push_back(' ');
  header.push_back('\n');
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + data;
}
}  // namespace

TEST(Npy, ReadsFloat64FortranOrder) {
  TempDir dir;
  const double v[6] = {1, 4, 2, 5, 3, 6};  // column-major 2x3
  test::write_bytes(dir.file("f.npy"), npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
                                           std::string(reinterpret_cast<const char*>(v), 48)));
  MatrixXf want(2, 3);
  want << 1, 2, 3, 4, 5, 6;
  EXPECT_EQ(io::read_npy(dir.file("f.npy")), want);
}

TEST(Npy, MalformedFilesGiveParseErrors) {
  TempDir dir;
  const float v[4] = {1, 2, 3, 4};
  const std::string data(reinterpret_cast<const char*>(v), 16);
  const std::pair<std::string, std::string> cases[] = {
      {"magic", "not a numpy file at all"},
      {"int", npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", data)},
      {"bigendian", npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", data)},
      {"3d", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", data)},
      {"short", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", data)},
      {"empty", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }", "")},
  };
  for (const auto& [name, bytes] : cases) {
    test::write_bytes(dir.file(name + ".npy"), bytes);
    EXPECT_THROW(io::read_npy(dir.file(name + ".npy")), ParseError) << name;
  }
  EXPECT_THROW(io::read_npy(dir.file("missing.npy")), IoError);
}

TEST(Npy, NaNIsRejected) {
  TempDir dir;
  const float v[2] = {1, std::numeric_limits<float>::quiet_NaN()};
  test::write_bytes(dir.file("n.npy"), npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                                           std::string(reinterpret_cast<const char*>(v), 8)));
  EXPECT_THROW(io::read_npy(dir.file("n.npy")), ParseError);
}

// Issue #18: the header parser is bounded, and claims are checked before any allocation.
TEST(Npy, HostileHeadersAndClaims) {
  TempDir dir;
  const std::string four(16, '\0');
  auto v2 = [](const std::string& dict) {
    std::string out = std::string("\x93NUMPY\x02\x00", 8);
    const auto n = static_cast<std::uint32_t>(dict.size());
    for (int b = 0; b < 4; ++b) out.push_back(static_cast<char>((n >> (8 * b)) & 0xff));
    return out + dict;
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {v2("{'descr': '<f4', 'fortran_order': False, 'shape': " + std::string(40000, '(') + "}"), "expected a dimension"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-40, 30), }", std::string(4800, '\0')), "negative"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (12345678901234567890, 1), }", four), "too large"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (20000, 20000), }", four), "truncated"},
      {npy("{'descr': '<f8', 'fortran_order': False, 'shape': (46340, 46340), }", four), "truncated"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }", four), "bytes after"},
      {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'extra': 1}", four), "unknown key"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string f = dir.file("c" + std::to_string(i) + ".npy");
    test::write_bytes(f, cases[i].first);
    try {
      io::read_npy(f);
      ADD_FAILURE() << i;
    } catch (const ParseError& e) {
      EXPECT_NE(std::string(e.what()).find(cases[i].second), std::string::npos) << i << ": " << e.what();
      EXPECT_EQ(e.path(), f);
    }
  }
}

TEST(Npy, Float64BeyondFloat32IsRefused) {
  TempDir dir;
  const double v[2] = {1.0, 1e300};
  test::write_bytes(dir.file("d.npy"), npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                                           std::string(reinterpret_cast<const char*>(v), 16)));
  try {
    io::read_npy(dir.file("d.npy"));
    ADD_FAILURE();
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("1e+300 at element 1"), std::string::npos) << e.what();
  }
  const double ok[2] = {1.0, 3e38};  // within float32's range
  test::write_bytes(dir.file("ok.npy"), npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                                            std::string(reinterpret_cast<const char*>(ok), 16)));
  EXPECT_FLOAT_EQ(io::read_npy(dir.file("ok.npy"))(1, 0), 3e38f);
}
