// `meshlab delete` as one library call: removes the lab's machines, the kubeconfig entries
// launch added and the state directory (the CA stays unless purged), on a lab in any state.
#pragma once

#include <ostream>
#include <string>

namespace meshlab::actions {

enum class Registries { keep, remove }; // registry caches survive unless asked: they are a cache
enum class Purge { no, yes };           // yes: the CA goes too

struct DeleteOptions {
  std::string lab_file; // empty: the built-in default lab
  Registries registries = Registries::keep;
  Purge purge = Purge::no;
  int verbosity = 0;
};

// Runs `meshlab delete`: takes the lab's lock, removes from external clusters exactly the
// objects labelled meshlab.dev/lab=<lab> (external_delete.hpp), deletes its multipass
// instances and kind clusters (and registry containers with Registries::remove; never
// external clusters, never a machine whose name is not the lab's), removes exactly the kubeconfig entries launch
// recorded, then the state directory except ca/. Tries everything; what it removed and kept
// goes to `err`. Works on a lab partly created or already deleted.
// Throws LabError for an invalid lab, meshlab::Error when the lab is busy or, at the end,
// listing everything it could not remove; Interrupted after Ctrl-C.
void delete_lab(const DeleteOptions& options, std::ostream& err);

} // namespace meshlab::actions
