// ferkit's exceptions (include/ferkit/error.h, public) and the library's always-on check.
#pragma once
#include <string>

#include "ferkit/error.h"

// Always-on check for the library's own invariants and for arguments (never compiled out).
#define FERKIT_CHECK(cond, msg)                                   \
  do {                                                            \
    if (!(cond)) throw ::ferkit::Error(std::string("") + (msg));  \
  } while (0)
