# regfitc_generate(TARGET t MODEL m.yaml [INFERENCE CHECKPOINT c.ckpt] [OUTPUT_DIR d])   (SPEC 8)
#
# Makes the static library target t from the code regfitc generates for m.yaml:
#   without INFERENCE: NAME.c/NAME.h of `regfitc --emit` (training, SPEC 3);
#   with INFERENCE:    NAME_infer.c/NAME_infer.h of `regfitc --emit-inference --load c.ckpt`
#                      (the forward pass with the checkpoint's parameters compiled in, SPEC 7).
# NAME is the model file's `name:`. The files go to d (default: a folder per target in the
# current binary dir), which is t's PUBLIC include folder, so `#include "NAME.h"` works in
# whatever links t. A relative MODEL is the current source dir's, a relative OUTPUT_DIR the
# current binary dir's, and a relative CHECKPOINT the source dir's when it exists there at
# configure time, else the binary dir's (a checkpoint the build makes: an add_custom_command
# OUTPUT in the same directory, as in examples/cmake, orders the build by itself).
#
# The code is regenerated when the model file, the checkpoint or the regfitc program changes,
# and not otherwise; regfitc rewrites a file only when its content changes, so nothing
# recompiles when the code is the same. The file names are asked of regfitc at configure time
# (--print-outputs), and the model file is a configure dependency, so a changed `name:` is
# picked up by the next build.
#
# Compile flags: t links OpenMP::OpenMP_C (and libm) publicly and gets -O3 -march=native privately (the
# generated code runs 10-30x slower without them), except what the user already chose:
# -march=native is left out when CMAKE_C_FLAGS has -march= or -mcpu=, -O3 when it has -O.
# REGFITC_GENERATE_FLAGS (a list) replaces the pair altogether: set it to "" for none.
include_guard(GLOBAL)

function(regfitc_generate)
  cmake_parse_arguments(PARSE_ARGV 0 RG "INFERENCE" "TARGET;MODEL;CHECKPOINT;OUTPUT_DIR" "")
  if(RG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "regfitc_generate: unknown arguments: ${RG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT RG_TARGET OR NOT RG_MODEL)
    message(FATAL_ERROR "regfitc_generate: TARGET and MODEL are required")
  endif()
  if(TARGET ${RG_TARGET})
    message(FATAL_ERROR "regfitc_generate: a target named ${RG_TARGET} already exists")
  endif()
  if(RG_INFERENCE AND NOT RG_CHECKPOINT)
    message(FATAL_ERROR "regfitc_generate(TARGET ${RG_TARGET}): INFERENCE needs CHECKPOINT (the trained parameters)")
  endif()
  if(RG_CHECKPOINT AND NOT RG_INFERENCE)
    message(FATAL_ERROR "regfitc_generate(TARGET ${RG_TARGET}): CHECKPOINT goes with INFERENCE")
  endif()
  if(NOT TARGET regfitc::regfitc)
    message(FATAL_ERROR "regfitc_generate: no regfitc::regfitc target (find_package(regfitc) first)")
  endif()

  get_filename_component(model "${RG_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "regfitc_generate(TARGET ${RG_TARGET}): no model file ${model}")
  endif()
  if(NOT RG_OUTPUT_DIR)
    set(RG_OUTPUT_DIR "regfitc_${RG_TARGET}")
  endif()
  get_filename_component(out_dir "${RG_OUTPUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  get_target_property(regfitc_exe regfitc::regfitc LOCATION)

  if(RG_INFERENCE)
    # a relative checkpoint: the source dir's when it is there (one kept with the project),
    # else the binary dir's (one the build makes)
    get_filename_component(ckpt "${RG_CHECKPOINT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT IS_ABSOLUTE "${RG_CHECKPOINT}" AND NOT EXISTS "${ckpt}")
      get_filename_component(ckpt "${RG_CHECKPOINT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
    endif()
    set(emit --emit-inference --load "${ckpt}")
  else()
    set(ckpt "")
    set(emit --emit)
  endif()

  # The two paths regfitc will write, NAME.h then NAME.c (NAME from the model's `name:`).
  execute_process(COMMAND "${regfitc_exe}" ${emit} --print-outputs -o "${out_dir}" "${model}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE outputs ERROR_VARIABLE errors
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "regfitc_generate(TARGET ${RG_TARGET}): regfitc cannot read ${model}:\n${errors}")
  endif()
  string(REPLACE "\n" ";" outputs "${outputs}")
  list(LENGTH outputs n_outputs)
  if(NOT n_outputs EQUAL 2)
    message(FATAL_ERROR "regfitc_generate(TARGET ${RG_TARGET}): expected two file names from "
                        "`regfitc --print-outputs`, got: ${outputs}")
  endif()
  list(GET outputs 0 header)
  list(GET outputs 1 source)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${model}")

  # A stamp file is the rule's output, the two files its byproducts: regfitc leaves unchanged
  # files alone, and the stamp keeps the rule from running again on every build then.
  set(stamp "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${RG_TARGET}.regfitc.stamp")
  file(RELATIVE_PATH model_shown "${CMAKE_CURRENT_SOURCE_DIR}" "${model}")
  add_custom_command(
    OUTPUT "${stamp}"
    BYPRODUCTS "${header}" "${source}"
    COMMAND "${regfitc_exe}" ${emit} --quiet -o "${out_dir}" "${model}"
    COMMAND "${CMAKE_COMMAND}" -E touch "${stamp}"
    DEPENDS "${model}" "${regfitc_exe}" ${ckpt}
    COMMENT "regfitc: generating ${RG_TARGET} from ${model_shown}"
    VERBATIM)

  add_library(${RG_TARGET} STATIC "${source}" "${header}" "${stamp}")
  target_include_directories(${RG_TARGET} PUBLIC "${out_dir}")
  target_link_libraries(${RG_TARGET} PUBLIC OpenMP::OpenMP_C)
  if(NOT WIN32)
    target_link_libraries(${RG_TARGET} PUBLIC m) # expf, sqrtf, ...
  endif()
  if(DEFINED REGFITC_GENERATE_FLAGS)
    set(flags ${REGFITC_GENERATE_FLAGS})
  else()
    set(flags "")
    if(NOT CMAKE_C_FLAGS MATCHES "(^| )-O")
      list(APPEND flags -O3)
    endif()
    if(NOT CMAKE_C_FLAGS MATCHES "(^| )-m(arch|cpu)=")
      list(APPEND flags -march=native)
    endif()
  endif()
  target_compile_options(${RG_TARGET} PRIVATE ${flags})
  set_target_properties(${RG_TARGET} PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
endfunction()
