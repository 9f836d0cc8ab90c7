# `cmake --install build --prefix P`: the library, its public headers, the program, the shipped
# models, the recipes, face-api's weights (when fetched), a CMake package (ferkitConfig.cmake with
# the imported target ferkit::ferkit) and a pkg-config file. `cpack` (in build/) makes a .deb.
include(CMakePackageConfigHelpers)

set(FERKIT_DATADIR ${CMAKE_INSTALL_DATADIR}/ferkit)
install(TARGETS ferkit RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(FERKIT_SHARED)
  # The installed program finds the installed library beside it, wherever the prefix is.
  set_target_properties(ferkit PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ferkit DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/models/ DESTINATION ${FERKIT_DATADIR}/models
        FILES_MATCHING PATTERN "*.ferkit" PATTERN "*.md")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/recipes/ DESTINATION ${FERKIT_DATADIR}/recipes FILES_MATCHING PATTERN "*.yaml")
if(EXISTS ${PROJECT_SOURCE_DIR}/third_party/face-api)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/third_party/face-api/ DESTINATION ${FERKIT_DATADIR}/face-api)
endif()

if(FERKIT_SHARED)
  install(TARGETS ferkit_lib LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  # The package is written by hand, not exported: the public headers need OpenCV's core and
  # nothing else, so an embedding program must not inherit LibTorch, dlib or the others that
  # ferkit_lib links for itself (libferkit.so carries those as its own dependencies).
  set(FERKIT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/ferkit)
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ferkitConfig.cmake.in
                                ${PROJECT_BINARY_DIR}/ferkitConfig.cmake INSTALL_DESTINATION ${FERKIT_CMAKE_DIR}
                                PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/ferkitConfigVersion.cmake COMPATIBILITY SameMinorVersion)
  install(FILES ${PROJECT_BINARY_DIR}/ferkitConfig.cmake ${PROJECT_BINARY_DIR}/ferkitConfigVersion.cmake
          DESTINATION ${FERKIT_CMAKE_DIR})
  # pkg-config: the prefix is found from the .pc file's own place, so that `--install --prefix`
  # at install time (not the configure-time prefix) is what it names.
  file(RELATIVE_PATH FERKIT_PC_TO_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
  configure_file(${PROJECT_SOURCE_DIR}/cmake/ferkit.pc.in ${PROJECT_BINARY_DIR}/ferkit.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/ferkit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

# The .deb: `cd build && cpack`. Its Depends come from dpkg-shlibdeps over the installed
# binaries (LibTorch, OpenCV, dlib, ...), plus the data packages ferkit reads at run time.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ferkit)
set(CPACK_PACKAGE_VENDOR "ferkit")
set(CPACK_PACKAGE_CONTACT "ferkit developers <ferkit@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "facial-expression recognition by transfer learning (C++ library and program)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/lib)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libdlib-data, opencv-data, libopencv-dev")
# OpenBLAS: LibTorch otherwise falls back to the reference BLAS; Python and numpy for the module.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libopenblas0-pthread, python3, python3-numpy")
include(CPack)
