#include "plan/plan.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using plan::PlanBuilder;
using plan::Step;

namespace {

Step step(std::string id, std::vector<std::string> needs = {}) {
  return Step{.id = id, .title = "Doing " + id, .needs = std::move(needs), .run = [](plan::StepContext&) {}};
}

std::vector<std::string> ids(const plan::Plan& built) {
  std::vector<std::string> result;
  for (const auto& s : built.steps()) result.push_back(s.id);
  return result;
}

} // namespace

TEST_CASE("plan::PlanBuilder") {
  PlanBuilder builder;

  SUBCASE("insertion order is kept where the needs allow it") {
    builder.add(step("registries")).add(step("ca")).add(step("vm/db", {"registries"})).add(step("cluster/east"));
    CHECK(ids(builder.build()) == std::vector<std::string>{"registries", "ca", "vm/db", "cluster/east"});
  }
  SUBCASE("a step added before its need moves just after it") {
    builder.add(step("istio/east", {"cacerts/east"}))
        .add(step("cluster/east"))
        .add(step("cacerts/east", {"cluster/east", "ca"}))
        .add(step("ca"))
        .add(step("cluster/west"));
    CHECK(ids(builder.build()) ==
          std::vector<std::string>{"cluster/east", "ca", "cacerts/east", "istio/east", "cluster/west"});
  }
  SUBCASE("a missing need names the step and the need") {
    builder.add(step("cluster/east")).add(step("istio/east", {"cluster/east", "cacerts/eest"}));
    CHECK_THROWS_WITH_AS(builder.build(), "step \"istio/east\" needs \"cacerts/eest\", which is not in the plan",
                         Error);
  }
  SUBCASE("a cycle is reported as a path") {
    builder.add(step("cluster/east"))
        .add(step("istio/east", {"cluster/east", "eastwest/east"}))
        .add(step("eastwest/east", {"istio/east"}));
    CHECK_THROWS_WITH_AS(builder.build(), "plan has a cycle: istio/east -> eastwest/east -> istio/east", Error);
  }
  SUBCASE("a longer cycle, and one of a single step") {
    builder.add(step("a", {"b"})).add(step("b", {"c"})).add(step("c", {"a"}));
    CHECK_THROWS_WITH_AS(builder.build(), "plan has a cycle: a -> b -> c -> a", Error);
    PlanBuilder self;
    self.add(step("x", {"x"}));
    CHECK_THROWS_WITH_AS(self.build(), "plan has a cycle: x -> x", Error);
  }
  SUBCASE("ids are unique and present; every step runs something") {
    builder.add(step("ca"));
    CHECK_THROWS_WITH_AS(builder.add(step("ca")), "the plan already has a step \"ca\"", Error);
    CHECK_THROWS_AS(builder.add(step("")), Error);
    CHECK_THROWS_WITH_AS(builder.add(Step{.id = "empty"}), "step \"empty\" has nothing to run", Error);
  }
  SUBCASE("a need named twice counts once") {
    builder.add(step("a")).add(step("b", {"a", "a"}));
    CHECK(ids(builder.build()) == std::vector<std::string>{"a", "b"});
  }
}

TEST_CASE("plan::plan_text") {
  PlanBuilder builder;
  builder.add(step("cluster/east")).add(step("istio/east", {"cluster/east"}));
  const auto built = builder.build();
  CHECK(built.find("istio/east")->title == "Doing istio/east");
  CHECK(built.find("nope") == nullptr);

  const plan::CommandsByStep commands{{"istio/east", {"helm upgrade --install istiod istio/istiod"}}};
  CHECK(plan::plan_text(built, commands) == "cluster/east: Doing cluster/east\n"
                                            "istio/east: Doing istio/east\n"
                                            "  needs: cluster/east\n"
                                            "  $ helm upgrade --install istiod istio/istiod\n");
  const auto json = plan::plan_json(built, commands);
  REQUIRE(json["steps"].size() == 2);
  CHECK(json["steps"][0]["id"] == "cluster/east");
  CHECK(json["steps"][0]["commands"] == nlohmann::json::array());
  CHECK(json["steps"][1]["needs"] == nlohmann::json{"cluster/east"});
  CHECK(json["steps"][1]["commands"][0] == "helm upgrade --install istiod istio/istiod");
}
