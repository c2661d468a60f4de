// tau_compat/args.hpp: a plugin's command line in the --input bytes. The harness
// writes one line per plugin, "<plugin name> <arg1> <arg2> ...", split on blanks;
// "double quotes" keep blanks inside one argument.
#pragma once

#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tau_compat {

// Splits a line on blanks, keeping "quoted text" as one word (without the quotes).
inline std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false, any = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
      any = true;
    } else if (!quoted && (c == ' ' || c == '\t' || c == '\r')) {
      if (any) words.push_back(word);
      word.clear();
      any = false;
    } else {
      word += c;
      any = true;
    }
  }
  if (any) words.push_back(word);
  return words;
}

// The words of the input line that starts with this plugin's name (the name
// first, like argv[0]); just the name when there is no such line.
inline std::vector<std::string> arguments_for(std::string_view name, std::string_view input) {
  std::istringstream lines{std::string(input)};
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> args = split(line);
    if (args.empty() || args.front() != name) continue;
    return args;
  }
  return {std::string(name)};
}

}  // namespace tau_compat
