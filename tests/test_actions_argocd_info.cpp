#include "actions/argocd_info.hpp"

#include "support/bringup_lab.hpp"
#include "support/loopback_http.hpp"
#include "util/base64.hpp"
#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace meshlab;
using test::Argv;

namespace {

std::string admin_secret(const std::string& password) {
  return nlohmann::json{{"data", {{"password", util::base64_encode(password)}}}}.dump();
}

} // namespace

TEST_CASE("actions::argocd_login") {
  test::LoopbackHttp argocd([](const test::LoopbackHttp::Seen& seen) -> std::pair<int, std::string> {
    if (seen.request_line.rfind("POST /api/v1/session ", 0) != 0) return {404, "{}"};
    const auto body = nlohmann::json::parse(seen.body, nullptr, false);
    if (body.is_object() && body.value("username", "") == "admin" && body.value("password", "") == "s3cr3t")
      return {200, R"({"token":"jwt"})"};
    return {401, R"({"error":"Invalid username or password","code":16,"message":"Invalid username or password"})"};
  });
  test::BringupLab lab;
  util::write_file_atomic(lab.state() / "kubeconfigs/hub.yaml", "apiVersion: v1\nkind: Config\n");
  test::RecordingRunner runner;
  const auto get_service =
      lab.kubectl("hub", {"get", "service", "argocd-server", "-n", "argocd", "-o", "json", "--request-timeout=10s"});
  const auto get_secret = lab.kubectl(
      "hub", {"get", "secret", "argocd-initial-admin-secret", "-n", "argocd", "-o", "json", "--request-timeout=10s"});
  const actions::ArgoCdInfoOptions options{.url = argocd.url("/")};

  SUBCASE("URL, admin and the password that logged in") {
    runner.on(get_secret, exec::Completed{.out = admin_secret("s3cr3t")});
    const auto login = actions::argocd_login(lab.lab(), runner, options);
    CHECK(login.url == argocd.url("/").substr(0, argocd.url("/").size() - 1));
    CHECK(login.username == "admin");
    CHECK(login.password == "s3cr3t");
    CHECK(login.cluster == "hub");
    CHECK(login.context == "bring-hub");
    CHECK(runner.argvs() == std::vector<Argv>{get_secret});
    CHECK(runner.calls()[0].secret_output);
    REQUIRE(argocd.seen().size() == 1);
    CHECK(nlohmann::json::parse(argocd.seen()[0].body) ==
          nlohmann::json{{"username", "admin"}, {"password", "s3cr3t"}});
  }

  SUBCASE("without an override the URL is the LoadBalancer address") {
    const auto with_timeout = [](Argv argv) {
      argv.back() = "--request-timeout=2s";
      return argv;
    };
    runner.on(with_timeout(get_service),
              exec::Completed{.out = R"({"status":{"loadBalancer":{"ingress":[{"ip":"127.0.20.9"}]}}})"});
    runner.on(with_timeout(get_secret), exec::Completed{.out = admin_secret("s3cr3t")});
    // Nobody listens on 127.0.20.9: the address is right, the login check says it cannot reach it.
    CHECK_THROWS_WITH_AS(actions::argocd_login(lab.lab(), runner, {.timeout = std::chrono::seconds(2)}),
                         doctest::Contains("Argo CD does not answer: cannot reach https://127.0.20.9/api/v1/session"),
                         Error);
    CHECK(runner.argvs().size() == 2);
  }

  SUBCASE("a wrong password is refused with Argo CD's reason") {
    runner.on(get_secret, exec::Completed{.out = admin_secret("stale")});
    CHECK_THROWS_WITH_AS(actions::argocd_login(lab.lab(), runner, options),
                         doctest::Contains("refused the login of admin with the initial admin password (HTTP 401: "
                                           "Invalid username or password)"),
                         Error);
  }

  SUBCASE("not ready yet: no initial admin secret") {
    runner.on(get_secret, exec::Completed{.exit_code = 1, .err = "Error from server (NotFound): secrets not found"});
    CHECK_THROWS_WITH_AS(actions::argocd_login(lab.lab(), runner, options),
                         doctest::Contains("Argo CD on cluster hub is not ready yet: no secret "
                                           "argocd-initial-admin-secret"),
                         Error);
  }

  SUBCASE("not installed: no argocd-server service") {
    runner.on(get_service, exec::Completed{.exit_code = 1, .err = "Error from server (NotFound): services not found"});
    CHECK_THROWS_WITH_AS(actions::argocd_login(lab.lab(), runner, {}),
                         doctest::Contains("Argo CD is not installed on cluster hub yet"), Error);
  }

  SUBCASE("no address yet") {
    runner.on(get_service, exec::Completed{.out = R"({"spec":{"type":"ClusterIP"},"status":{"loadBalancer":{}}})"});
    CHECK_THROWS_WITH_AS(actions::argocd_login(lab.lab(), runner, {}), doctest::Contains("has no address yet"), Error);
  }

  SUBCASE("the cluster does not answer") {
    runner.on(get_service, exec::Completed{.exit_code = 1,
                                           .err = "The connection to the server 127.0.0.1:1 was refused - did you "
                                                  "specify the right host or port?\n"});
    CHECK_THROWS_WITH_AS(actions::argocd_login(lab.lab(), runner, {}),
                         doctest::Contains("cannot reach cluster hub (context bring-hub): The connection to the "
                                           "server 127.0.0.1:1 was refused"),
                         Error);
  }

  SUBCASE("the lab is not up: no kubeconfig") {
    std::filesystem::remove(lab.state() / "kubeconfigs/hub.yaml");
    CHECK_THROWS_WITH_AS(actions::argocd_login(lab.lab(), runner, options),
                         doctest::Contains("lab bring is not up: there is no kubeconfig for cluster hub"), Error);
    CHECK(runner.calls().empty());
  }

  SUBCASE("a lab without Argo CD says so") {
    auto bare = lab.lab();
    bare.argocd.enabled = false;
    CHECK_THROWS_WITH_AS(actions::argocd_login(bare, runner, options), doctest::Contains("has no Argo CD"), Error);
  }
}
