#include "notewise/io/batch_processes.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "notewise/core/threads.hpp"
#include "test_util.hpp"

using namespace notewise;

// A row's program runs as a child: its exit status comes back, and its message is its last
// "notewise: error: " line (without the prefix), else its first line.
TEST(BatchProcesses, ChildStatusAndMessage) {
  io::BatchProcesses rows;
  std::string message;
  EXPECT_EQ(io::run_child(rows, "/bin/sh", {"sh", "-c", "echo first >&2; echo 'notewise: error: boom' >&2; exit 3"}, message), 3);
  EXPECT_EQ(message, "boom");
  EXPECT_EQ(io::run_child(rows, "/bin/sh", {"sh", "-c", "echo; echo only line >&2; exit 0"}, message), 0);
  EXPECT_EQ(message, "only line");
  EXPECT_EQ(io::run_child(rows, "/bin/sh", {"sh", "-c", "kill -9 $$"}, message), 128 + 9);
  EXPECT_EQ(io::run_child(rows, "/no/such/program", {"x"}, message), 127);
}

// A task's outcome: done only with exit 0 and the marker in the row's folder.
TEST(BatchProcesses, TaskOutcome_DoneNeedsTheMarker) {
  test::TempDir dir;
  io::BatchProcesses rows;
  const auto task = [&](const std::string& script) {
    return nlohmann::json{{"args", {"sh", "-c", script}}, {"dir", dir.path().string()}, {"marker", "report.json"}}.dump();
  };
  auto out = nlohmann::json::parse(io::run_batch_task(rows, "/bin/sh", task("exit 0"), 2, "host"));
  EXPECT_EQ(out.at("status"), "failed");  // no marker
  EXPECT_EQ(out.at("rank"), 2);
  EXPECT_EQ(out.at("error"), "exit status 0");
  out = nlohmann::json::parse(io::run_batch_task(rows, "/bin/sh", task("echo '{}' > " + dir.file("report.json")), 0, "h"));
  EXPECT_EQ(out.at("status"), "done");
  EXPECT_EQ(out.at("exit_code"), 0);
  out = nlohmann::json::parse(io::run_batch_task(rows, "/bin/sh", "not json", 0, "h"));
  EXPECT_EQ(out.at("status"), "failed");
}

TEST(BatchProcesses, ThreadsPerRow) {
  EXPECT_EQ(io::threads_per_row(3, 1, 8), 3);  // given: as given
  EXPECT_EQ(io::threads_per_row(0, 1, 1), threads::limit());
  EXPECT_EQ(io::threads_per_row(0, 1, 100000), 1);  // at least one
}
