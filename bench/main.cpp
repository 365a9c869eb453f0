// run-benchmarks: the figures issue 2 asks for, measured on the built meshlab binary.
//   run-benchmarks BUILD_DIR            render a generated 100-cluster lab, time --version
//   run-benchmarks generate [--clusters N --cells N --apps N] > big.yaml
// Figures are printed, never asserted: a busy machine makes them noisy, so this is not a test.
#include "big_lab.hpp"
#include "measure.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace meshlab::bench;

namespace {

struct Options {
  std::string build_dir;
  std::string lab;  // a lab file to render instead of the generated one
  int runs = 20;
  int version_runs = 50;
  bool keep = false;
  std::string work; // a work directory kept by an earlier run (--keep), to reuse its CA
  BigLabShape shape;
};

enum class JudgedBy { median, max };

struct Row {
  std::string name;
  std::size_t runs = 0;
  Figures figures;
  std::string unit;
  double target = 0;
  JudgedBy judged_by = JudgedBy::median;
};

// The last `count` lines of `text`, without its final newline.
std::string last_lines(std::string text, std::size_t count) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  std::size_t start = text.size();
  for (std::size_t seen = 0; start > 0;) {
    if (text[start - 1] == '\n' && ++seen == count) break;
    --start;
  }
  return text.substr(start);
}

// Runs `argv` `count` times after `warmups` untimed runs; throws when a run fails.
std::vector<Run> repeat(const std::vector<std::string>& argv, int warmups, int count) {
  std::vector<Run> runs;
  for (int i = 0; i < warmups + count; ++i) {
    auto run = run_once(argv);
    if (run.exit_code != 0)
      throw std::runtime_error(fmt::format("{} exited with status {}:\n{}", fmt::join(argv, " "), run.exit_code,
                                           last_lines(run.err, 20)));
    if (i >= warmups) runs.push_back(std::move(run));
  }
  return runs;
}

Row row(std::string name, const std::vector<Run>& runs, double Run::*field, std::string unit, double target,
        JudgedBy judged_by) {
  std::vector<double> values;
  for (const auto& run : runs) values.push_back(run.*field);
  return {std::move(name), runs.size(), figures(values), std::move(unit), target, judged_by};
}

void print_table(const std::vector<Row>& rows) {
  fmt::print("{:<24} {:>5} {:>11} {:>11} {:>11} {:>10}  {}\n", "benchmark", "runs", "median", "min", "max",
             "target", "result");
  int over = 0;
  for (const auto& r : rows) {
    const double judged = r.judged_by == JudgedBy::median ? r.figures.median : r.figures.max;
    const bool ok = judged < r.target;
    over += ok ? 0 : 1;
    const auto cell = [&](double v) { return fmt::format("{:.2f} {}", v, r.unit); };
    fmt::print("{:<24} {:>5} {:>11} {:>11} {:>11} {:>10}  {} ({})\n", r.name, r.runs, cell(r.figures.median),
               cell(r.figures.min), cell(r.figures.max), fmt::format("< {:g} {}", r.target, r.unit),
               ok ? "ok" : "OVER", r.judged_by == JudgedBy::median ? "median" : "max");
  }
  if (over > 0) fmt::print("{} figure{} over target\n", over, over == 1 ? "" : "s");
}

std::string load_average() {
  std::ifstream in{"/proc/loadavg"};
  std::string one;
  in >> one;
  return one.empty() ? "unknown" : one;
}

int benchmark(const Options& options) {
  const auto meshlab = (fs::path(options.build_dir) / "cli" / "meshlab").string();
  if (!fs::exists(meshlab)) {
    fmt::print(stderr, "run-benchmarks: {} does not exist; build it first (cmake --build {})\n", meshlab,
               options.build_dir);
    return 1;
  }
  std::string work = options.work;
  if (work.empty()) {
    work = (fs::temp_directory_path() / "meshlab-bench-XXXXXX").string();
    if (::mkdtemp(work.data()) == nullptr) throw std::runtime_error("cannot create a temporary directory");
  }

  std::string lab = options.lab;
  std::string lab_summary = fmt::format("{}", lab);
  if (lab.empty()) {
    lab = (fs::path(work) / "big.yaml").string();
    std::ofstream{lab} << big_lab(options.shape);
    lab_summary = fmt::format("generated, {} kind clusters in {} cells, {} apps per cell", options.shape.clusters,
                              options.shape.cells, options.shape.apps_per_cell);
  }
  const auto version = run_once({meshlab, "--version"});
  fmt::print("meshlab benchmarks: {} ({})\n", meshlab, version.out.substr(0, version.out.find('\n')));
  fmt::print("lab: {}\n", lab_summary);
  fmt::print("machine: {} CPUs, load average {} (a busy machine inflates wall times)\n\n",
             std::thread::hardware_concurrency(), load_average());

  std::vector<Row> rows;
  int status = 0;
  const auto versions = repeat({meshlab, "--version"}, 3, options.version_runs);
  rows.push_back(row("meshlab --version", versions, &Run::wall_ms, "ms", 5, JudgedBy::median));
  rows.push_back(row("meshlab --version (cpu)", versions, &Run::cpu_ms, "ms", 5, JudgedBy::median));
  // What starting any program costs here: the floor under --version, which machines differ in
  // far more than in computing (page faults cost ~13 us each in some VMs, ~0.2 us on bare metal).
  const double floor_ms =
      row("/bin/true", repeat({"/bin/true"}, 3, options.version_runs), &Run::wall_ms, "ms", 0, JudgedBy::median)
          .figures.median;

  std::optional<std::string> render_note;
  const auto out = (fs::path(work) / "out").string();
  const std::vector<std::string> render{meshlab, "render", "-f", lab, "-o", out};
  try {
    repeat(render, 1, 0); // the first render makes the CA; the timed ones reuse it
    // Then one more once the files have settled: a re-render trusts a file's recorded
    // identity only when it changed more than 2 s earlier (util::stable_file_identity),
    // as a user's next render, seconds or days later, does.
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    repeat(render, 1, 0);
    if (!fs::exists(fs::path(out) / "ca" / "root-cert.pem"))
      render_note = fmt::format("note: no CA in {}/ca after the first render; the timed runs may include "
                                "key generation",
                                out);
    const auto renders = repeat(render, 1, options.runs);
    rows.push_back(row("render (wall time)", renders, &Run::wall_ms, "ms", 100, JudgedBy::median));
    rows.push_back(row("render (cpu time)", renders, &Run::cpu_ms, "ms", 100, JudgedBy::median));
    rows.push_back(row("render (peak RSS)", renders, &Run::peak_rss_mb, "MB", 50, JudgedBy::max));
  } catch (const std::exception& e) {
    render_note = fmt::format("render: FAILED: {}", e.what());
    status = 1;
  }
  print_table(rows);
  fmt::print("process start here: /bin/true median {:.2f} ms; meshlab --version takes {:.1f}x that\n", floor_ms,
             rows.front().figures.median / floor_ms);
  if (render_note) fmt::print("{}\n", *render_note);

  if (options.keep || !options.work.empty() || status != 0) {
    fmt::print("kept {} (lab and rendered files)\n", work);
  } else {
    std::error_code ignored;
    fs::remove_all(work, ignored);
  }
  return status;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"Benchmarks of the meshlab binary: render of a large lab, --version."};
  Options options;
  app.add_option("build_dir", options.build_dir, "CMake build directory holding cli/meshlab")->type_name("DIR");
  app.add_option("--runs", options.runs, "Timed render runs")->check(CLI::PositiveNumber);
  app.add_option("--version-runs", options.version_runs, "Timed --version runs")->check(CLI::PositiveNumber);
  app.add_option("--lab", options.lab, "Render this lab instead of the generated one")->check(CLI::ExistingFile);
  app.add_flag("--keep", options.keep, "Keep the work directory (lab, rendered files)");
  app.add_option("--work", options.work,
                 "Reuse this work directory, kept by an earlier run: its CA is not generated again (kept too)")
      ->check(CLI::ExistingDirectory)
      ->type_name("DIR");
  app.add_option("--clusters", options.shape.clusters, "Clusters in the generated lab");
  app.add_option("--cells", options.shape.cells, "Cells in the generated lab");
  app.add_option("--apps", options.shape.apps_per_cell, "Apps per cell (each cluster of the cell gets them all)");
  auto* generate = app.add_subcommand("generate", "Print the generated lab instead of benchmarking");
  generate->fallthrough(); // `generate --clusters 20` reads the shape options above
  try {
    app.parse(argc, argv);
    if (generate->parsed()) {
      fmt::print("{}", big_lab(options.shape));
      return 0;
    }
    if (options.build_dir.empty()) throw CLI::RequiredError("build_dir");
    return benchmark(options);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "run-benchmarks: {}\n", e.what());
    return 1;
  }
}
