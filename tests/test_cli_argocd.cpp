// `meshlab argocd` as a user runs it: the meshlab binary, the fake kubectl of tests/fakes
// and tests/fakes/argocd_api.py standing in for the Argo CD API (MESHLAB_ARGOCD_URL).
#include "support/bringup_lab.hpp"
#include "support/bringup_fakes.hpp"
#include "util/base64.hpp"

#include <doctest/doctest.h>

using namespace meshlab;

namespace {

exec::Completed meshlab_argocd(exec::Runner& runner, const test::BringupLab& lab, std::vector<std::string> args,
                               const std::optional<std::string>& url) {
  exec::Command cmd{.argv = {MESHLAB_BINARY, "argocd", "-f", (lab.dir() / "lab.yaml").string()}};
  cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
  if (url) cmd.env["MESHLAB_ARGOCD_URL"] = *url;
  cmd.timeout = std::chrono::seconds(60);
  return runner.run(cmd);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

} // namespace

TEST_CASE("cli::argocd") {
  test::FakeTools fakes;
  exec::PosixRunner runner;
  test::BringupLab lab;
  const auto kubeconfig = lab.ctx().kubeconfig_for(lab.cluster("hub"));
  const auto kubectl = [&](std::vector<std::string> rest, const std::optional<std::string>& input = std::nullopt) {
    auto argv = lab.kubectl("hub", rest);
    return test::run_checked(runner, argv, input).out;
  };

  // Before the lab is up: one line on stderr, nothing on stdout, exit 1.
  auto done = meshlab_argocd(runner, lab, {}, std::nullopt);
  CHECK(done.exit_code == 1);
  CHECK(done.out.empty());
  CHECK(lines(done.err).size() == 1);
  CHECK(done.err.rfind("meshlab: error: lab bring is not up: there is no kubeconfig for cluster hub", 0) == 0);
  CHECK(meshlab_argocd(runner, lab, {"--output", "yaml"}, std::nullopt).exit_code == 2);

  test::create_kind_cluster(runner, "bring-hub", kubeconfig);
  done = meshlab_argocd(runner, lab, {}, std::nullopt);
  CHECK(done.exit_code == 1);
  CHECK(done.err.find("Argo CD is not installed on cluster hub yet") != std::string::npos);

  // Argo CD installed as argocd/install leaves it (the miniature manifest of the fakes).
  kubectl({"create", "namespace", "argocd"});
  kubectl({"apply", "-n", "argocd", "--server-side", "--force-conflicts", "-f",
           test::k_fakes + "/testdata/argocd-install-min.yaml"});
  kubectl({"patch", "service", "argocd-server", "-n", "argocd", "--type", "merge", "-p",
           R"({"spec":{"type":"LoadBalancer"}})"});
  const auto password = *util::base64_decode(
      kubectl({"get", "secret", "argocd-initial-admin-secret", "-n", "argocd", "-o", "jsonpath={.data.password}"}));
  REQUIRE(!password.empty());
  const auto api_log = fakes.dir() / "argocd-api.jsonl";
  test::BackgroundProcess api({"python3", test::k_fakes + "/argocd_api.py", "--kubeconfig", kubeconfig.string(),
                               "--context", "bring-hub", "--log", api_log.string(), "--exit-on-stdin-eof"});
  const auto url = api.read_line();
  // One cluster for every case below (each kubectl call of the fakes costs ~0.4s), the
  // case that deletes the admin secret last.

  { // text: URL, user and the password that logged in
    done = meshlab_argocd(runner, lab, {}, url);
    CAPTURE(done.err);
    CHECK(done.exit_code == 0);
    CHECK(lines(done.out) == std::vector<std::string>{"url:      " + url, "username: admin", "password: " + password});
    const auto log = util::read_file(api_log);
    CHECK(log.find(R"("path": "/api/v1/session", "status": 200)") != std::string::npos);
    CHECK(done.err.find(password) == std::string::npos);
  }
  { // --output json
    done = meshlab_argocd(runner, lab, {"--output", "json"}, url);
    REQUIRE(done.exit_code == 0);
    const auto doc = nlohmann::json::parse(done.out);
    CHECK(doc == nlohmann::json{{"lab", "bring"},
                                {"cluster", "hub"},
                                {"context", "bring-hub"},
                                {"url", url},
                                {"username", "admin"},
                                {"password", password},
                                {"login", "ok"}});
  }
  { // without the override: the LoadBalancer address, which nobody answers in the fakes
    done = meshlab_argocd(runner, lab, {}, std::nullopt);
    CHECK(done.exit_code == 1);
    CHECK(done.out.empty());
    CHECK(done.err.find("Argo CD does not answer: cannot reach https://127.") != std::string::npos);
  }
  { // a refused login
    test::BackgroundProcess wrong(
        {"python3", test::k_fakes + "/argocd_api.py", "--password", "other", "--exit-on-stdin-eof"});
    done = meshlab_argocd(runner, lab, {}, wrong.read_line());
    CHECK(done.exit_code == 1);
    CHECK(done.out.empty());
    CHECK(done.err.find("refused the login of admin") != std::string::npos);
    CHECK(done.err.find(password) == std::string::npos);
  }
  { // not ready: the initial admin secret is not there
    kubectl({"delete", "secret", "argocd-initial-admin-secret", "-n", "argocd"});
    done = meshlab_argocd(runner, lab, {}, url);
    CHECK(done.exit_code == 1);
    CHECK(done.err.find("is not ready yet: no secret argocd-initial-admin-secret") != std::string::npos);
  }
}
