// Turns a lab file into a lab::Lab: parses YAML, records where every value was written,
// reports structural problems (not YAML, unknown keys, wrong types, missing fields),
// and applies defaults (entry → lab `defaults` → built-in). No subprocess, no network.
#pragma once

#include "lab/model.hpp"
#include "util/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace meshlab::lab {

struct LoadResult {
  Lab lab;                              // as complete as the input allowed
  std::vector<Diagnostic> diagnostics;  // structural problems, in file order
};

// Parses `text` (named `file` in diagnostics). Never throws for bad input; every problem
// becomes a diagnostic and loading goes on so one run reports them all.
LoadResult load_string(std::string_view text, const std::string& file);

// Reads and parses a file; throws meshlab::Error when it cannot be read.
LoadResult load_file(const std::string& path);

// The lab to use: `path` when given, else the built-in default lab (multi-primary).
// Loads and validates; throws LabError listing every structural and semantic problem,
// sorted by position.
Lab load_valid_lab(const std::string& path);

} // namespace meshlab::lab
