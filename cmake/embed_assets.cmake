# Writes OUT, a C++ header with each INPUT file as a raw string literal constant
# (cmake -DOUT=... -DNAMES="kA|kB" -DINPUTS="a.js|b.css" -P embed_assets.cmake; "|" since a
# ";" would split the custom command's arguments).
string(REPLACE "|" ";" NAMES "${NAMES}")
string(REPLACE "|" ";" INPUTS "${INPUTS}")
set(text "#pragma once\n// Generated from src/report/ by cmake/embed_assets.cmake; do not edit.\n")
list(LENGTH NAMES n)
math(EXPR last "${n} - 1")
foreach(i RANGE ${last})
  list(GET NAMES ${i} name)
  list(GET INPUTS ${i} input)
  file(READ ${input} content)
  string(APPEND text "inline constexpr const char* ${name} = R\"NWASSET(${content})NWASSET\";\n")
endforeach()
file(WRITE ${OUT}.tmp "${text}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
