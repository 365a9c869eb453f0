// Runs a program many times and measures each run from outside: wall time around
// posix_spawn + wait4, and the child's peak resident set size from wait4's rusage.
#pragma once

#include <string>
#include <vector>

namespace meshlab::bench {

struct Run {
  double wall_ms = 0;
  // user + system CPU time of the child from wait4: on a busy machine the wall time grows
  // with the wait for a core, the CPU time much less, so both are reported.
  double cpu_ms = 0;
  double peak_rss_mb = 0; // ru_maxrss of the child, in MB (10^6 bytes)
  int exit_code = -1;     // -1 when killed by a signal
  std::string out;        // first 64 KiB of stdout
  std::string err;        // first 64 KiB of stderr
};

// Runs `argv` once (argv[0] looked up on PATH), stdin from /dev/null. Throws
// std::runtime_error when it cannot be started.
Run run_once(const std::vector<std::string>& argv);

struct Figures {
  double median = 0;
  double min = 0;
  double max = 0;
};

// Median (mean of the middle two for an even count), min and max; zeros when `values` is empty.
Figures figures(std::vector<double> values);

} // namespace meshlab::bench
