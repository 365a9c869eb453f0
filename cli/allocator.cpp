// mimalloc's options for the meshlab process, set before its first allocation.
//
// Rendering a big lab touches tens of MB of fresh heap, and a page fault costs far more than
// the work done on the page on some machines (about 13 us each in the Firecracker VMs it was
// measured in: 5400 faults were half of a render's CPU time). With large OS pages mimalloc asks the
// kernel for transparent huge pages (madvise(MADV_HUGEPAGE)), one fault per 2 MiB instead of
// per 4 KiB. Where THP is off ("never") nothing changes.
//
// Only for `render`: the one command whose time is meshlab's own. The others wait on tools,
// and there huge pages only cost memory - each 2 MiB region the heap touches stays resident
// (a launch of the stamps lab: 21.8 -> 28.7 MB, against a 30 MB target). The command is not
// parsed yet, so any argument "render" counts; a lab file of that name merely gets the faster
// allocator settings.
//
// mimalloc reads its options when it first allocates, which happens before main() and
// before any constructor of ours runs, so this runs from .preinit_array: the only code of an
// executable that runs before the shared libraries' constructors. mi_option_set only stores
// a value (no allocation). A MIMALLOC_LARGE_OS_PAGES the user set still wins.
#include <mimalloc.h>

#include <string_view>

namespace {

// getenv() cannot be used yet (libc sets `environ` up after this runs): read `envp`.
bool in_environment(char** envp, std::string_view name) {
  for (char** entry = envp; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    if (variable.size() > name.size() && variable.substr(0, name.size()) == name && variable[name.size()] == '=')
      return true;
  }
  return false;
}

bool in_arguments(int argc, char** argv, std::string_view word) {
  for (int i = 1; i < argc; ++i)
    if (argv[i] != nullptr && argv[i] == word) return true;
  return false;
}

void set_allocator_options(int argc, char** argv, char** envp) {
  if (in_arguments(argc, argv, "render") && !in_environment(envp, "MIMALLOC_LARGE_OS_PAGES"))
    mi_option_enable(mi_option_large_os_pages);
}

[[gnu::section(".preinit_array"), gnu::used]] void (*const k_set_allocator_options)(int, char**, char**) =
    &set_allocator_options;

} // namespace
