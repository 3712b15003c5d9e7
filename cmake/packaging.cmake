# Packaging (issue #41): the man page, bash completion and documents that `cmake --install`
# puts beside the program, and the Debian package that `cpack -G DEB` makes from the build tree.

# The man page, from the program's help (help2man, Debian: help2man), when help2man is there.
# Not under the sanitizers: the page is made by running the program.
find_program(NOTEWISE_HELP2MAN help2man)
if(NOTEWISE_HELP2MAN AND NOT NOTEWISE_SANITIZE AND NOT CMAKE_CROSSCOMPILING)
  set(NOTEWISE_MAN_PAGE ${CMAKE_BINARY_DIR}/notewise.1)
  add_custom_command(
    OUTPUT ${NOTEWISE_MAN_PAGE}
    COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:notewise> -DHELP2MAN=${NOTEWISE_HELP2MAN}
            -DOUT=${NOTEWISE_MAN_PAGE} -P ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
    DEPENDS notewise ${PROJECT_SOURCE_DIR}/cmake/man_page.cmake
    COMMENT "Writing the man page notewise.1 (help2man)" VERBATIM)
  add_custom_target(notewise_man ALL DEPENDS ${NOTEWISE_MAN_PAGE})
  install(FILES ${NOTEWISE_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
elseif(NOT NOTEWISE_HELP2MAN)
  message(STATUS "help2man not found (Debian: help2man): no man page")
endif()

# Bash completion: one script that reads the commands and options from the program's help.
install(FILES ${PROJECT_SOURCE_DIR}/packaging/notewise.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME notewise)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package: everything `cmake --install` puts under /usr, the Python module moved to
# Debian's /usr/lib/python3/dist-packages (cmake/cpack_debian_layout.cmake), the shared
# libraries it needs found by dpkg-shlibdeps (Debian: dpkg-dev, file).
set(CPACK_PACKAGE_NAME notewise)
set(CPACK_PACKAGE_VENDOR "the notewise developers")
set(CPACK_PACKAGE_CONTACT "notewise developers <dev@notewise>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "score-informed music source separation (program, C++ library, Python module)")
set(CPACK_PACKAGE_DESCRIPTION "notewise splits a music recording into the sound of each note, or of any group of notes,
guided by the recording's score, with nonnegative matrix factorisation constrained by the
score and soft masks. This package holds the notewise program, the C++ library (static
layers, headers, CMake and pkg-config files), the Python module, the man page and bash
completion.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # notewise_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What dpkg-shlibdeps cannot see: the Python module's interpreter and numpy. The headers and the
# CMake/pkg-config files ask for the -dev packages of the dependencies when a program is built
# against the library: suggested, so that the program alone installs few packages.
if(NOTEWISE_PYTHON_BUILT AND NOTEWISE_PYTHON_INSTALL_DIR MATCHES "python([0-9]+)\\.([0-9]+)")
  math(EXPR next_minor "${CMAKE_MATCH_2} + 1")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "python3 (>= ${CMAKE_MATCH_1}.${CMAKE_MATCH_2}), python3 (<< ${CMAKE_MATCH_1}.${next_minor}), python3-numpy")
  set(CPACK_NOTEWISE_PYTHON_DIR ${NOTEWISE_PYTHON_INSTALL_DIR})
endif()
# dpkg-shlibdeps names OpenBLAS's soname package (libopenblas0, either build); the program and
# module are linked to the OpenMP build's folder (RPATH), so that is the one they want.
if(OPENBLAS_OPENMP)
  if(CPACK_DEBIAN_PACKAGE_DEPENDS)
    string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", ")
  endif()
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp")
endif()
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "g++, cmake, pkg-config, libeigen3-dev, libopenblas-openmp-dev, libfftw3-dev, \
libsndfile1-dev, libsoxr-dev, libpugixml-dev, libzip-dev, libcairo2-dev, libjpeg62-turbo-dev, librubberband-dev, \
nlohmann-json3-dev, python3-soundfile, bash-completion")
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/cmake/cpack_debian_layout.cmake)
include(CPack)
