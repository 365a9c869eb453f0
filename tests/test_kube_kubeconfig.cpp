#include "kube/kubeconfig.hpp"

#include "support/temp_dir.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

using namespace meshlab;
using kube::Kubeconfig;

namespace {

// What k3s writes to /etc/rancher/k3s/k3s.yaml (contracts/k3s.md): everything named "default".
const char* k_k3s = R"(apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: Q0EK
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: Q0VSVAo=
    client-key-data: S0VZCg==
)";

const char* k_user = R"(apiVersion: v1
clusters:
- cluster:
    server: https://prod.example.invalid
  name: prod
contexts:
- context:
    cluster: prod
    user: alice
  name: prod
current-context: prod
kind: Config
users:
- name: alice
  user:
    token: secret
)";

} // namespace

TEST_CASE("kube::Kubeconfig") {
  SUBCASE("extract renames k3s's default entries and points at the node") {
    const auto k3s = Kubeconfig::parse(k_k3s, "k3s.yaml");
    const auto mine = k3s.extract("default", "kube-01", std::string("https://127.0.10.2:6443"));
    CHECK(mine.context_names() == std::vector<std::string>{"kube-01"});
    CHECK(mine.server("kube-01") == "https://127.0.10.2:6443");
    CHECK(mine.current_context() == "kube-01");
    CHECK(mine.entry_names() == std::vector<std::string>{"kube-01"});
    CHECK(mine.dump().find("client-key-data: S0VZCg==") != std::string::npos);
  }
  SUBCASE("merge adds and replaces by name, keeping the user's current context") {
    auto user = Kubeconfig::parse(k_user, "config");
    const auto lab = Kubeconfig::parse(k_k3s, "k3s.yaml").extract("default", "kube-01");
    user.merge(lab);
    CHECK(user.context_names() == std::vector<std::string>{"prod", "kube-01"});
    CHECK(user.current_context() == "prod");
    user.merge(Kubeconfig::parse(k_k3s, "k3s.yaml").extract("default", "kube-01", std::string("https://127.0.10.9:6443")));
    CHECK(user.context_names() == std::vector<std::string>{"prod", "kube-01"});
    CHECK(user.server("kube-01") == "https://127.0.10.9:6443");
  }
  SUBCASE("the cluster CA of a context, as stored") {
    const auto k3s = Kubeconfig::parse(k_k3s, "k3s.yaml");
    CHECK(k3s.certificate_authority_data("default") == "Q0EK");
    CHECK(k3s.extract("default", "kube-01").certificate_authority_data("kube-01") == "Q0EK");
    CHECK_FALSE(k3s.certificate_authority_data("kube-01"));
    CHECK_FALSE(Kubeconfig::parse(k_user, "config").certificate_authority_data("prod"));
  }
  SUBCASE("remove takes out exactly the named entries") {
    const auto original = Kubeconfig::parse(k_user, "config");
    auto user = original;
    user.merge(Kubeconfig::parse(k_k3s, "k3s.yaml").extract("default", "kube-01"));
    user.remove({"kube-01"});
    CHECK(user.same_as(Kubeconfig::parse(k_user, "config")));
  }
  SUBCASE("removing the current context clears it") {
    auto user = Kubeconfig::parse(k_user, "config");
    user.remove({"prod"});
    CHECK_FALSE(user.current_context());
  }
  SUBCASE("invalid input is refused with the file name") {
    CHECK_THROWS_WITH_AS(Kubeconfig::parse("clusters: [unclosed", "/home/u/.kube/config"),
                         doctest::Contains("/home/u/.kube/config: not a valid kubeconfig"), Error);
    CHECK_THROWS_WITH_AS(Kubeconfig::parse("- a\n- b\n", "cfg"), doctest::Contains("not a mapping"), Error);
    CHECK_THROWS_WITH_AS(Kubeconfig::parse("clusters: {a: 1}\n", "cfg"), doctest::Contains("\"clusters\" is not a list"),
                         Error);
    CHECK_THROWS_WITH_AS(Kubeconfig::parse("contexts:\n- context: {}\n", "cfg"), doctest::Contains("has no name"), Error);
  }
  SUBCASE("an empty file is an empty kubeconfig") { CHECK(Kubeconfig::parse("", "cfg").context_names().empty()); }
}

TEST_CASE("kube::save_with_backup") {
  test::TempDir dir;
  const auto path = dir / "config";
  const auto backup = dir / "config.meshlab-backup";
  util::write_file_atomic(path, k_user);

  auto user = Kubeconfig::load(path);
  user.merge(Kubeconfig::parse(k_k3s, "k3s.yaml").extract("default", "kube-01"));
  kube::save_with_backup(user, path, backup);
  CHECK(util::read_file(backup) == k_user);
  CHECK(Kubeconfig::load(path).context_names().size() == 2);

  // A second save keeps the first backup: it is the state before meshlab touched the file.
  kube::save_with_backup(Kubeconfig::load(path), path, backup);
  CHECK(util::read_file(backup) == k_user);

  SUBCASE("kubectl accepts what we write") {
    if (std::system("command -v kubectl >/dev/null 2>&1") != 0) {
      MESSAGE("kubectl not installed: skipping the kubectl config view check");
      return;
    }
    const auto cmd = "kubectl config view --kubeconfig " + path.string() + " -o jsonpath='{.contexts[*].name}' > " +
                     (dir / "out").string() + " 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    CHECK(util::read_file(dir / "out") == "kube-01 prod"); // kubectl lists contexts sorted
  }
}

TEST_CASE("kube::user_kubeconfig_path") {
  const char* old = std::getenv("KUBECONFIG");
  const std::string saved = old ? old : "";
  ::setenv("KUBECONFIG", "/tmp/a:/tmp/b", 1);
  CHECK(kube::user_kubeconfig_path() == "/tmp/a");
  ::unsetenv("KUBECONFIG");
  CHECK(kube::user_kubeconfig_path().filename() == "config");
  if (old) ::setenv("KUBECONFIG", saved.c_str(), 1);
}
