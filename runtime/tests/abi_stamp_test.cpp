// ABI stamp records: the form the reader accepts, and which differences refuse a
// plugin (abi_stamp_difference names the first offending source).
#include "abi_stamp.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using tau::detail::abi_stamp_difference;
using tau::detail::host_abi_stamp;

std::string record(const std::string& source, const std::string& settings = host_abi_stamp()) {
  return "source=" + source + "\n" + settings + std::string(1, '\0');
}

std::string with(std::string settings, const std::string& from, const std::string& to) {
  size_t at = settings.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? settings : settings.replace(at, from.size(), to);
}

TEST(abi_stamp_test, records_equal_to_the_host_with_padding_between_them_agree) {
  std::string section = record("/p/a.cpp") + std::string(13, '\0') + record("/p/b.cpp") + record("/p/a.cpp");
  EXPECT_EQ(abi_stamp_difference(section, host_abi_stamp()), "");
}

TEST(abi_stamp_test, the_first_differing_source_is_named_with_a_count_of_the_others) {
  std::string old_abi = with(host_abi_stamp(), "cxx11_abi=1", "cxx11_abi=0");
  std::string debug = with(host_abi_stamp(), "glibcxx_debug=off", "glibcxx_debug=on");
  std::string section = record("/p/ok.cpp") + record("/p/old.cpp", old_abi) + record("/p/debug.cpp", debug) +
                        record("/p/old.cpp", old_abi);
  EXPECT_EQ(abi_stamp_difference(section, host_abi_stamp()),
            "/p/old.cpp: cxx11_abi: plugin has 0, host has 1 (and 1 more source)");
}

TEST(abi_stamp_test, the_cxx_standard_rtti_exceptions_and_assertions_are_not_compared) {
  std::string settings = with(host_abi_stamp(), "cplusplus=202002L", "cplusplus=201703L");
  settings = with(settings, "rtti=on", "rtti=off");
  settings = with(settings, "exceptions=on", "exceptions=off");
  settings = with(settings, "glibcxx_assertions=off", "glibcxx_assertions=on");
  EXPECT_EQ(abi_stamp_difference(record("/p/cxx17.cpp", settings), host_abi_stamp()), "");
}

TEST(abi_stamp_test, c_units_are_not_held_to_the_cxx_library_settings) {
  std::string c = with(host_abi_stamp(), "cplusplus=202002L", "cplusplus=none");
  c = with(c, "cxx11_abi=1", "cxx11_abi=default");
  EXPECT_EQ(abi_stamp_difference(record("/p/helper.c", c), host_abi_stamp()), "");
  std::string shim = with(c, "shim=2", "shim=1");
  EXPECT_EQ(abi_stamp_difference(record("/p/helper.c", shim), host_abi_stamp()),
            "/p/helper.c: shim: plugin has 1, host has 2");
}

TEST(abi_stamp_test, a_stamp_of_the_old_format_is_judged_on_its_format_alone) {
  std::string old = with(host_abi_stamp(), "stamp_format=2\n", "");
  old = with(old, "cplusplus=202002L", "cplusplus=201703L");
  EXPECT_EQ(abi_stamp_difference(old + std::string(1, '\0'), host_abi_stamp()),
            "stamp_format: plugin has 1, host has 2");
}

TEST(abi_stamp_test, a_missing_compared_setting_is_a_difference) {
  std::string settings = with(host_abi_stamp(), "tau_abi=1\n", "");
  EXPECT_EQ(abi_stamp_difference(record("/p/a.cpp", settings), host_abi_stamp()),
            "/p/a.cpp: tau_abi: plugin has (none), host has 1");
}

TEST(abi_stamp_test, malformed_records_are_named) {
  auto difference = [](const std::string& section) {
    return abi_stamp_difference(section, host_abi_stamp());
  };
  EXPECT_EQ(difference(""), "corrupt .tau_abi section: its last record is not NUL-terminated");
  EXPECT_EQ(difference(record("/p/a.cpp") + "source=x\n"),
            "corrupt .tau_abi section: its last record is not NUL-terminated");
  EXPECT_EQ(difference(std::string(8, '\0')), "corrupt .tau_abi section: it holds no record");
  std::string first = record("/p/a.cpp");
  EXPECT_EQ(difference(first + std::string("source=x\nboost\n") + '\0'),
            "corrupt .tau_abi section: the record at byte " + std::to_string(first.size()) +
                ": line 2 is not key=value");
  EXPECT_EQ(difference(std::string("source=x\x01y\n") + '\0'),
            "corrupt .tau_abi section: the record at byte 0: line 1 holds the control byte 1");
  EXPECT_EQ(difference(std::string("source=x\nSource=y\n") + '\0'),
            "corrupt .tau_abi section: the record at byte 0: line 2 has a key that is not [a-z0-9_]");
  EXPECT_EQ(difference(std::string("source=x\nsource=y\n") + '\0'),
            "corrupt .tau_abi section: the record at byte 0: line 2 repeats the key source");
  EXPECT_EQ(difference(std::string("source=x\ntau_abi=1") + '\0'),
            "corrupt .tau_abi section: the record at byte 0: it is cut short (its last line has no newline)");
}

}  // namespace
