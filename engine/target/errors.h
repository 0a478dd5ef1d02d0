// The engine's one exception type. It never crosses into a debugger: front ends catch it
// at the command boundary and report its message as the command's error.
#pragma once

#include <stdexcept>
#include <string>

namespace goinspect {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user stopped a long command (Ctrl-C): an Error whose message says how far it got.
class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace goinspect
