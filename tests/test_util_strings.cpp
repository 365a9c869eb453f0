#include "util/strings.hpp"

#include <doctest/doctest.h>

using namespace meshlab::util;

TEST_CASE("util::strings") {
  SUBCASE("split keeps empty parts") {
    CHECK(split("a//b", '/') == std::vector<std::string>{"a", "", "b"});
    CHECK(split("", '/') == std::vector<std::string>{""});
    CHECK(split("east/", '/') == std::vector<std::string>{"east", ""});
  }
  SUBCASE("join and join_quoted") {
    CHECK(join(std::vector<std::string>{"kind", "multipass"}) == "kind, multipass");
    CHECK(join(std::vector<std::string>{}) == "");
    CHECK(join_quoted({"a", "b"}) == "\"a\", \"b\"");
  }
  SUBCASE("edit distance") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("kitten", "sitting") == 3);
    CHECK(edit_distance("netwrok", "network") == 1); // a swap counts once
    CHECK(edit_distance("eats", "east") == 1);
    CHECK(edit_distance("ca", "abc") == 3);
    CHECK(edit_distance("abc", "") == 3);
  }
  SUBCASE("did you mean") {
    const std::vector<std::string> keys{"provider", "role", "network", "locality"};
    CHECK(did_you_mean("netwrok", keys) == "network");
    CHECK(did_you_mean("rol", keys) == "role");
    CHECK(did_you_mean("eats", std::vector<std::string>{"east", "west"}) == "east");
    CHECK(did_you_mean("Provider", keys) == "provider");
    CHECK(did_you_mean("banana", keys) == std::nullopt);
    CHECK(did_you_mean("x", std::vector<std::string>{}) == std::nullopt);
  }
  SUBCASE("trim_end") {
    using namespace std::string_view_literals;
    CHECK(trim_end("v1.30.3\r\n"sv) == "v1.30.3");
    CHECK(trim_end("a b \t\n"sv) == "a b");
    CHECK(trim_end(" \n"sv) == "");
    CHECK(trim_end(""sv) == "");
    CHECK(trim_end("http://127.0.0.1:8080//"sv, "/") == "http://127.0.0.1:8080");
    CHECK(trim_end("lines\n\n"sv, "\n") == "lines");
    CHECK(trim_end("12 \n"sv, "\n") == "12 "); // only the characters asked for
    const std::string owned = "token\n";
    const std::string_view view = trim_end(owned);
    CHECK(view.data() == owned.data()); // a view into the argument, no copy
    CHECK(view == "token");
    CHECK(trim_end(std::string("from a temporary \n")) == "from a temporary"); // owns its result
  }
  SUBCASE("count_noun") {
    CHECK(count_noun(1, "cluster") == "1 cluster");
    CHECK(count_noun(0, "VM") == "0 VMs");
    CHECK(count_noun(2, "policy", "policies") == "2 policies");
  }
}
