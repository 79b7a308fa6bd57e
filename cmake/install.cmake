# Installation (SPEC 8): what `cmake --install BUILD --prefix P` puts under P.
#
#   P/bin/regfitc                       the program
#   P/share/regfitc/                    what it compiles generated code against at run time (rf_home():
#                                       PREFIX/share/regfitc beside PREFIX/bin/regfitc), and the models
#   P/lib/libregfitc_runtime.a          the runtime for users' programs (regfitc::runtime)
#   P/include/regfitc/                  its headers
#   P/lib/cmake/regfitc/                the CMake package: config, version, targets, regfitc_generate()
#   P/lib/pkgconfig/regfitc.pc          the same for Make: `pkg-config --cflags --libs regfitc`
#   P/share/man/man1/regfitc.1          the man page, when docs/ has one
#
# Every path inside is relative to P, so the prefix can be moved.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The runtime for users: the data loaders, checkpoints, metrics, plots and training
# loop of runtime/, with the two pieces of the rest it calls (common/'s helpers and the
# model description of compiler/front/model.c; not the YAML front end, so no libyaml).
# Built from the same sources as rfruntime, as one archive a user links alone, less the
# benchmark's generic kernels and peak loop (regfitc compiles those itself from its home):
# so the archive has no OpenMP in it and links with gcc's libgomp or clang's libomp alike.
set(RF_USER_RUNTIME_SRC ${RF_RUNTIME_SRC})
list(FILTER RF_USER_RUNTIME_SRC EXCLUDE REGEX "/runtime/(generic|bench_)[^/]*[.]c$")
# runtime/dist.c without MPI: a user program is one process
add_library(regfitc_runtime STATIC ${RF_USER_RUNTIME_SRC} ${CMAKE_SOURCE_DIR}/runtime/dist.c ${RF_COMMON_SRC}
            ${CMAKE_SOURCE_DIR}/compiler/front/model.c)
set_target_properties(regfitc_runtime PROPERTIES EXPORT_NAME runtime POSITION_INDEPENDENT_CODE ON)
target_include_directories(regfitc_runtime PUBLIC
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/runtime>
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/common>
  $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/compiler/front>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/regfitc>)
target_link_libraries(regfitc_runtime PUBLIC ZLIB::ZLIB m)
# never the sanitizers of a REGFIT_SANITIZE or REGFIT_FUZZ build: users link it without them
get_target_property(RF_USER_RUNTIME_OPTIONS regfitc_runtime COMPILE_OPTIONS)
list(FILTER RF_USER_RUNTIME_OPTIONS EXCLUDE REGEX "^-f(no-)?sanitize")
set_target_properties(regfitc_runtime PROPERTIES COMPILE_OPTIONS "${RF_USER_RUNTIME_OPTIONS}")

install(TARGETS regfitc EXPORT regfitcTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS regfitc_runtime EXPORT regfitcTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

# The runtime's headers and the ones they include, in one flat folder (not the generic kernels').
file(GLOB RF_RUNTIME_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/runtime/*.h ${CMAKE_SOURCE_DIR}/common/*.h)
list(FILTER RF_RUNTIME_HEADERS EXCLUDE REGEX "/runtime/(generic|bench_)[^/]*[.]h$")
install(FILES ${RF_RUNTIME_HEADERS} ${CMAKE_SOURCE_DIR}/compiler/front/model.h
              ${CMAKE_SOURCE_DIR}/compiler/front/layer_kinds.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/regfitc)

# regfitc's home (compiler/build/home.c), laid out like the source tree:
# - every build: -I HOME/runtime for the glue's rf_abi.h;
# - --bench (cli/bench.c): the generic kernels, the peak loop and their export table,
#   compiled with -I HOME/compiler/front for model.h.
set(RF_SHARE ${CMAKE_INSTALL_DATADIR}/regfitc)
file(GLOB RF_GENERIC_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/runtime/generic*.[ch])
install(FILES ${CMAKE_SOURCE_DIR}/runtime/rf_abi.h ${CMAKE_SOURCE_DIR}/runtime/rf_random.h ${RF_GENERIC_FILES}
              ${CMAKE_SOURCE_DIR}/runtime/bench_peak.c ${CMAKE_SOURCE_DIR}/runtime/bench_export.c
              ${CMAKE_SOURCE_DIR}/runtime/bench_export.h
        DESTINATION ${RF_SHARE}/runtime)
install(FILES ${CMAKE_SOURCE_DIR}/compiler/front/model.c ${CMAKE_SOURCE_DIR}/compiler/front/model.h
              ${CMAKE_SOURCE_DIR}/compiler/front/layer_kinds.h ${CMAKE_SOURCE_DIR}/compiler/front/bf16.h
        DESTINATION ${RF_SHARE}/compiler/front)
file(GLOB RF_MODELS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/models/*.yaml)
install(FILES ${RF_MODELS} DESTINATION ${RF_SHARE}/models)
if(EXISTS ${CMAKE_SOURCE_DIR}/docs/regfitc.1)
  install(FILES ${CMAKE_SOURCE_DIR}/docs/regfitc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# The CMake package.
set(RF_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/regfitc)
install(EXPORT regfitcTargets NAMESPACE regfitc:: DESTINATION ${RF_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/regfitcConfig.cmake.in
  ${CMAKE_BINARY_DIR}/regfitcConfig.cmake INSTALL_DESTINATION ${RF_CMAKE_DIR})
# 0.x: a minor version may break the generated API, so only the same minor matches
write_basic_package_version_file(${CMAKE_BINARY_DIR}/regfitcConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/regfitcConfig.cmake ${CMAKE_BINARY_DIR}/regfitcConfigVersion.cmake
              ${CMAKE_SOURCE_DIR}/cmake/regfitcGenerate.cmake
        DESTINATION ${RF_CMAKE_DIR})

# pkg-config: the prefix is found from the .pc file's own folder, so it moves with it.
file(RELATIVE_PATH RF_PC_TO_PREFIX ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" RF_PC_TO_PREFIX "${RF_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/cmake/regfitc.pc.in ${CMAKE_BINARY_DIR}/regfitc.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/regfitc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
