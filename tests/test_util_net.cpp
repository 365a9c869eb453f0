#include "util/net.hpp"

#include <doctest/doctest.h>

using namespace meshlab::util;

TEST_CASE("util::net") {
  SUBCASE("IPv4 addresses") {
    CHECK(parse_ipv4("192.168.64.10") == 0xc0a8400aU);
    CHECK(format_ipv4(0xc0a8400aU) == "192.168.64.10");
    CHECK_FALSE(parse_ipv4("10.0.0.300"));
    CHECK_FALSE(parse_ipv4("10.0.0"));
    CHECK_FALSE(parse_ipv4("10.0.0.01"));
    CHECK_FALSE(parse_ipv4("10.0.0.1 "));
    CHECK_FALSE(parse_ipv4(""));
  }
  SUBCASE("CIDRs") {
    const auto block = parse_cidr("10.64.0.0/10").block;
    REQUIRE(block);
    CHECK(block->str() == "10.64.0.0/10");
    CHECK(block->size() == 1U << 22);
    CHECK(parse_cidr("0.0.0.0/0").block);
    CHECK_FALSE(parse_cidr("10.0.0.0/33").block);
    CHECK_FALSE(parse_cidr("10.0.0.0").block);
    CHECK_FALSE(parse_cidr("10.0.0.0/").block);
    const auto host_bits = parse_cidr("10.10.1.0/16");
    CHECK_FALSE(host_bits.block);
    CHECK(host_bits.problem == "has host bits set");
    CHECK(host_bits.suggestion == "10.10.0.0/16");
  }
  SUBCASE("overlaps") {
    const auto a = *parse_cidr("10.10.0.0/16").block;
    CHECK(a.overlaps(*parse_cidr("10.10.128.0/17").block));
    CHECK(parse_cidr("10.0.0.0/8").block->overlaps(a));
    CHECK_FALSE(a.overlaps(*parse_cidr("10.11.0.0/16").block));
  }
  SUBCASE("DNS labels and names") {
    CHECK(is_dns_label("kube-01"));
    CHECK(is_dns_label(std::string(63, 'a')));
    CHECK_FALSE(is_dns_label(std::string(64, 'a')));
    CHECK_FALSE(is_dns_label("-a"));
    CHECK_FALSE(is_dns_label("a-"));
    CHECK_FALSE(is_dns_label("East"));
    CHECK_FALSE(is_dns_label(""));
    CHECK(is_dns_name("httpbin.blau.demo.lab"));
    CHECK_FALSE(is_dns_name("demo..lab"));
    CHECK_FALSE(is_dns_name("demo_lab"));
  }
}
