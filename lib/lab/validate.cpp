#include "lab/validate.hpp"

namespace meshlab::lab {

std::vector<Diagnostic> validate(const Lab&) { return {}; }

} // namespace meshlab::lab
