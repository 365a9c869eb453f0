#include "lab/syntax.hpp"

#include <doctest/doctest.h>

using namespace meshlab::lab;

TEST_CASE("lab::syntax") {
  SUBCASE("multipass sizes, as multipass parses them") {
    CHECK(parse_size("4G") == 4ULL << 30);
    CHECK(parse_size("4g") == 4ULL << 30);
    CHECK(parse_size("10GiB") == 10ULL << 30);
    CHECK(parse_size("512MB") == 512ULL << 20);
    CHECK(parse_size("1.5G") == 3ULL << 29);
    CHECK(parse_size("1024") == 1024);
    CHECK(parse_size("1024B") == 1024);
    CHECK(parse_size("2K") == 2048);
    CHECK_FALSE(parse_size("4Gi"));
    CHECK_FALSE(parse_size("banana"));
    CHECK_FALSE(parse_size("1.5"));
    CHECK_FALSE(parse_size("G"));
    CHECK_FALSE(parse_size("4T"));
    CHECK_FALSE(parse_size("-1G"));
    CHECK_FALSE(parse_size("99999999999999999999G"));
    CHECK(size_problem("64M", k_min_memory, "128M") == "\"64M\" is below multipass's minimum of 128M");
    CHECK(size_problem("4G", k_min_memory, "128M").empty());
  }
  SUBCASE("localities") {
    CHECK(parse_locality("milky-way/solar-system/kube-01").locality == Locality{"milky-way", "solar-system", "kube-01"});
    CHECK(parse_locality("east").locality == Locality{"east", "", ""});
    CHECK(parse_locality("Zone_A.1/b").locality);
    CHECK(parse_locality("a/b/c/d").problem == "has 4 parts; a locality is region[/zone[/subzone]]");
    CHECK(parse_locality("east/").problem == "has an empty zone");
    CHECK(parse_locality("").problem == "is empty");
    CHECK(parse_locality("-east").problem == "has region \"-east\", which is not a valid label value");
  }
  SUBCASE("locality patterns") {
    CHECK(locality_pattern_problem("east/zone1/*").empty());
    CHECK(locality_pattern_problem("*").empty());
    CHECK(locality_pattern_problem("east/*/rack").find("before its last part") != std::string::npos);
    const Locality node{"east", "zone1", "rack1"};
    CHECK(locality_matches("east/zone1/*", node));
    CHECK(locality_matches("east/*", node));
    CHECK(locality_matches("*", node));
    CHECK(locality_matches("east/zone1", node));
    CHECK_FALSE(locality_matches("east/zone2/*", node));
    CHECK_FALSE(locality_matches("west", node));
  }
}
