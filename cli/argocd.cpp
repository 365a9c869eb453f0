// `meshlab argocd [-f LAB] [--output json]`: the lab's Argo CD URL, user and initial admin
// password, once a login with them has worked. The one place meshlab shows a secret, and
// only on stdout, because the user asked for it.
#include "actions/argocd_info.hpp"
#include "commands.hpp"
#include "exec/posix_runner.hpp"
#include "lab/load.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <memory>

namespace meshlab::cli {

namespace {

struct ArgoCdOptions {
  std::string lab_file; // empty: the built-in default lab
  std::string output = "text";
};

void run_argocd(const ArgoCdOptions& options) {
  const lab::Lab lab = lab::load_valid_lab(options.lab_file);
  actions::ArgoCdInfoOptions info;
  if (const char* url = std::getenv(actions::k_argocd_url_env); url != nullptr && *url != '\0') info.url = url;
  exec::PosixRunner runner;
  const auto login = actions::argocd_login(lab, runner, info);
  if (options.output == "json") {
    const nlohmann::ordered_json doc = {{"lab", lab.name},  {"cluster", login.cluster},   {"context", login.context},
                                        {"url", login.url}, {"username", login.username}, {"password", login.password},
                                        {"login", "ok"}};
    fmt::print("{}\n", doc.dump(2));
    return;
  }
  fmt::print("url:      {}\nusername: {}\npassword: {}\n", login.url, login.username, login.password);
}

} // namespace

void add_argocd_command(CLI::App& app, const GlobalOptions&) {
  auto options = std::make_shared<ArgoCdOptions>();
  auto* command = app.add_subcommand("argocd", "Show the lab's Argo CD URL, user and initial admin password");
  command->add_option("-f,--file", options->lab_file, "Lab file (default: the built-in multi-primary lab)")
      ->type_name("LAB");
  command->add_option("-o,--output", options->output, "Output format")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"text", "json"}));
  command->footer(fmt::format(
      "Checks that the password logs in (POST /api/v1/session, accepting Argo CD's self-signed certificate)\n"
      "before printing it. {} replaces the argocd-server LoadBalancer address, e.g. with a\n"
      "port-forward's https://127.0.0.1:8080.",
      actions::k_argocd_url_env));
  command->callback([options] { run_argocd(*options); });
}

} // namespace meshlab::cli
