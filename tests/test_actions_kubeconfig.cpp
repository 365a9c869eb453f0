#include "actions/kubeconfig.hpp"
#include "kube/kubeconfig.hpp"
#include "lab/load.hpp"
#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace meshlab;
using actions::KubeconfigMerge;
namespace fs = std::filesystem;

namespace {

// A kubeconfig with one context whose cluster, user and context are all called `name`.
std::string cluster_kubeconfig(const std::string& name, const std::string& server) {
  return "apiVersion: v1\nkind: Config\nclusters:\n- name: " + name + "\n  cluster:\n    server: " + server +
         "\ncontexts:\n- name: " + name + "\n  context:\n    cluster: " + name + "\n    user: " + name +
         "\nusers:\n- name: " + name + "\n  user:\n    token: t-" + name + "\ncurrent-context: " + name + "\n";
}

// The user's own file, formatted the way a person (not yaml-cpp) would write it.
const std::string k_user = R"(# my clusters
apiVersion: v1
kind: Config
current-context: work
clusters:
  - name: work
    cluster: {server: "https://10.1.2.3:6443"}
contexts:
  - name: work
    context: {cluster: work, user: me}
users:
  - name: me
    user: {token: abc}
)";

struct Fixture {
  test::TempDir dir;
  fs::path state = dir / "state";
  fs::path user = dir / "home" / ".kube" / "config";
  KubeconfigMerge merge{state, "mesh", {}, user};

  Fixture() {
    for (const auto& [name, port] : {std::pair{"mesh-east", "40001"}, std::pair{"mesh-west", "40002"}}) {
      const auto file = state / "kubeconfigs" / (std::string(name).substr(5) + ".yaml");
      util::write_file_atomic(file, cluster_kubeconfig(name, std::string("https://127.0.0.1:") + port));
      merge.sources.push_back({std::string(name).substr(5), file, std::nullopt});
    }
  }
};

} // namespace

TEST_CASE("actions::merge_kubeconfigs") {
  Fixture f;

  SUBCASE("contexts go into the lab's and the user's kubeconfig; delete restores the user's bytes") {
    util::write_file_atomic(f.user, k_user);
    const auto record = actions::merge_kubeconfigs(f.merge);
    CHECK(record.entries == std::vector<std::string>{"mesh-east", "mesh-west"});
    CHECK_FALSE(record.created);

    const auto lab = kube::Kubeconfig::load(f.state / "kubeconfig");
    CHECK(lab.context_names() == std::vector<std::string>{"mesh-east", "mesh-west"});
    const auto user = kube::Kubeconfig::load(f.user);
    CHECK(user.context_names() == std::vector<std::string>{"work", "mesh-east", "mesh-west"});
    CHECK(user.current_context() == "work"); // the user's choice stays
    CHECK(user.server("mesh-west") == "https://127.0.0.1:40002");
    CHECK(util::read_file(actions::kubeconfig_backup_path(f.user, "mesh")) == k_user);
    CHECK(actions::kubeconfigs_merged(f.merge));

    // A second merge changes nothing, so the file is not even rewritten.
    const auto written = util::read_file(f.user);
    const auto mtime = fs::last_write_time(f.user);
    actions::merge_kubeconfigs(f.merge);
    CHECK(util::read_file(f.user) == written);
    CHECK(fs::last_write_time(f.user) == mtime);

    actions::remove_kubeconfig_entries(f.state);
    CHECK(util::read_file(f.user) == k_user);
    CHECK(fs::exists(actions::kubeconfig_backup_path(f.user, "mesh"))); // kept
    CHECK_FALSE(fs::exists(f.state / "kubeconfig-entries.json"));
    CHECK_NOTHROW(actions::remove_kubeconfig_entries(f.state)); // twice is fine
  }

  SUBCASE("entries the user added meanwhile survive delete") {
    util::write_file_atomic(f.user, k_user);
    actions::merge_kubeconfigs(f.merge);
    auto user = kube::Kubeconfig::load(f.user);
    user.merge(kube::Kubeconfig::parse(cluster_kubeconfig("later", "https://10.9.9.9"), "x"));
    util::write_file_atomic(f.user, user.dump());
    actions::remove_kubeconfig_entries(f.state);
    CHECK(kube::Kubeconfig::load(f.user).context_names() == std::vector<std::string>{"work", "later"});
  }

  SUBCASE("a kubeconfig that is not valid YAML is refused and left untouched") {
    const std::string broken = "apiVersion: v1\nclusters: [\n  - {name: x\n";
    util::write_file_atomic(f.user, broken);
    CHECK_THROWS_WITH_AS(actions::merge_kubeconfigs(f.merge),
                         doctest::Contains((f.user.string() + ": not a valid kubeconfig").c_str()), Error);
    CHECK(util::read_file(f.user) == broken);
    CHECK_FALSE(fs::exists(actions::kubeconfig_backup_path(f.user, "mesh")));
    CHECK_FALSE(fs::exists(f.state / "kubeconfig-entries.json"));
  }

  SUBCASE("a user kubeconfig launch created is removed by delete when nothing else is in it") {
    const auto record = actions::merge_kubeconfigs(f.merge);
    CHECK(record.created);
    CHECK(fs::exists(f.user));
    actions::remove_kubeconfig_entries(f.state);
    CHECK_FALSE(fs::exists(f.user));
  }

  SUBCASE("a cluster that left the lab leaves the user's kubeconfig too") {
    util::write_file_atomic(f.user, k_user);
    actions::merge_kubeconfigs(f.merge);
    f.merge.sources.pop_back();
    const auto record = actions::merge_kubeconfigs(f.merge);
    CHECK(record.entries == std::vector<std::string>{"mesh-east"});
    CHECK(kube::Kubeconfig::load(f.user).context_names() == std::vector<std::string>{"work", "mesh-east"});
  }

  SUBCASE("an external cluster the user already has is not added twice") {
    util::write_file_atomic(f.user, k_user);
    const auto file = f.state / "kubeconfigs" / "prod.yaml";
    util::write_file_atomic(file, cluster_kubeconfig("mesh-prod", "https://10.1.2.3:6443"));
    f.merge.sources.push_back({"prod", file, std::string("work")});
    const auto record = actions::merge_kubeconfigs(f.merge);
    CHECK(record.entries == std::vector<std::string>{"mesh-east", "mesh-west"});
    CHECK(kube::Kubeconfig::load(f.user).context_names() == std::vector<std::string>{"work", "mesh-east", "mesh-west"});
    CHECK(kube::Kubeconfig::load(f.state / "kubeconfig").context_names().size() == 3); // the lab's has it
    CHECK(actions::kubeconfigs_merged(f.merge));
  }

  SUBCASE("the check notices a context the user deleted, and a missing cluster kubeconfig is named") {
    util::write_file_atomic(f.user, k_user);
    actions::merge_kubeconfigs(f.merge);
    auto user = kube::Kubeconfig::load(f.user);
    user.remove({"mesh-east"});
    util::write_file_atomic(f.user, user.dump());
    CHECK_FALSE(actions::kubeconfigs_merged(f.merge));

    fs::remove(f.merge.sources[1].file);
    CHECK_THROWS_WITH_AS(actions::merge_kubeconfigs(f.merge),
                         doctest::Contains("cluster \"west\" has no kubeconfig yet"), Error);
  }
}

TEST_CASE("actions::add_kubeconfig_steps") {
  test::TempDir dir;
  ::setenv("KUBECONFIG", (dir / "kc").c_str(), 1);
  const auto lab = lab::load_valid_lab(std::string(MESHLAB_SOURCE_DIR) + "/labs/kind-locality.yaml");
  actions::LaunchContext ctx{lab, dir / "state", nullptr};
  plan::PlanBuilder builder;
  actions::add_kubeconfig_steps(builder, ctx);
  ::unsetenv("KUBECONFIG");
  REQUIRE(builder.contains("kubeconfig/merge"));
  plan::PlanBuilder with_needs;
  for (const auto& cluster : lab.clusters)
    with_needs.add(plan::Step{.id = "cluster/" + cluster.name + "/kubeconfig", .title = "x", .run = [](plan::StepContext&) {}});
  actions::add_kubeconfig_steps(with_needs, ctx);
  const auto plan = with_needs.build();
  const auto* step = plan.find("kubeconfig/merge");
  REQUIRE(step != nullptr);
  CHECK(step->needs == std::vector<std::string>{"cluster/east/kubeconfig", "cluster/west/kubeconfig"});
  CHECK(step->verify);
  CHECK(step->inputs_hash.size() == 64);
}
