// index.json, the list of the files a render wrote: written, and read back to find the
// files an earlier render left that the lab no longer produces.
#pragma once

#include "render/render.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace meshlab::render {

// The index of lab `lab_name` listing `files`, in the layout of nlohmann's dump(2) plus a
// final newline (what earlier meshlab versions wrote, byte for byte). Built as a string
// because the JSON library's serializer took ~90 M instructions for a 100-cluster lab.
// Throws meshlab::Error when a string is not valid UTF-8 (JSON cannot hold it).
std::string index_json(std::string_view lab_name, const std::vector<IndexEntry>& files);

// The paths an index (`text`) lists; empty when it does not parse.
std::vector<std::string> listed_paths(const std::string& text);

} // namespace meshlab::render
