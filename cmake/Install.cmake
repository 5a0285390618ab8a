# What `cmake --install build --prefix P` puts in P: the tools, the C ABI
# headers a program using a model needs, the docs, and the CMake package.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(PROGRAMS "${CMAKE_BINARY_DIR}/bin/paso-opt" "${CMAKE_BINARY_DIR}/bin/paso-run"
        DESTINATION "${CMAKE_INSTALL_BINDIR}")
# paso-opt finds the --preprocess generator beside itself.
if(TARGET paso-preprocess-gen)
  install(TARGETS paso-preprocess-gen RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
endif()
install(FILES "${PASO_SOURCE_DIR}/include/paso/Runtime/paso_model.h"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/paso/Runtime")
install(DIRECTORY "${PASO_SOURCE_DIR}/docs/"
        DESTINATION "${CMAKE_INSTALL_DOCDIR}"
        PATTERN "CMakeLists.txt" EXCLUDE)

set(package_dir "${CMAKE_INSTALL_LIBDIR}/cmake/PASO")
configure_package_config_file(
  "${PASO_SOURCE_DIR}/cmake/PASOConfig.cmake.in"
  "${CMAKE_BINARY_DIR}/cmake/PASOConfig.cmake"
  INSTALL_DESTINATION "${package_dir}"
  PATH_VARS CMAKE_INSTALL_BINDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(
  "${CMAKE_BINARY_DIR}/cmake/PASOConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/cmake/PASOConfig.cmake"
              "${CMAKE_BINARY_DIR}/cmake/PASOConfigVersion.cmake"
              "${PASO_SOURCE_DIR}/cmake/PASOModel.cmake"
        DESTINATION "${package_dir}")
