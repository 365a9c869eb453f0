#include "providers/provider.hpp"

#include "support/recording_runner.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

TEST_CASE("providers::make") {
  test::RecordingRunner runner;
  CHECK(providers::make("multipass", runner, "/state")->name() == "multipass");
  CHECK(providers::make("kind", runner, "/state")->name() == "kind");
  CHECK(providers::make("external", runner, "/state")->name() == "external");
  CHECK_THROWS_WITH_AS(providers::make("multipas", runner, "/state"),
                       "unknown provider \"multipas\"; known providers: external, kind, multipass", Error);
}
