# CPack pre-build script (CPACK_PRE_BUILD_SCRIPTS): before the Debian package is made from the
# staged install, move the Python package from `cmake --install`'s lib/pythonX.Y/site-packages
# to Debian's /usr/lib/python3/dist-packages, where Debian's python3 looks for it.
if(NOT CPACK_NOTEWISE_PYTHON_DIR)
  return()  # no Python module in this build
endif()
set(root "${CPACK_TEMPORARY_INSTALL_DIRECTORY}${CPACK_PACKAGING_INSTALL_PREFIX}")
set(from "${root}/${CPACK_NOTEWISE_PYTHON_DIR}/notewise")
set(to "${root}/lib/python3/dist-packages/notewise")
if(NOT IS_DIRECTORY "${from}")
  message(FATAL_ERROR "cpack_debian_layout.cmake: ${from} is not in the staged install")
endif()
file(MAKE_DIRECTORY "${root}/lib/python3/dist-packages")
file(RENAME "${from}" "${to}")
# Remove the folders left empty (lib/python3.Y/site-packages, lib/python3.Y).
get_filename_component(dir "${from}" DIRECTORY)
while(NOT dir STREQUAL root AND IS_DIRECTORY "${dir}")
  file(GLOB left "${dir}/*")
  if(left)
    break()
  endif()
  file(REMOVE_RECURSE "${dir}")
  get_filename_component(dir "${dir}" DIRECTORY)
endwhile()
