# paso_add_model(<name> MODEL <file.onnx> [TARGET <target>] [STATIC]
#                [OPTIONS ...])
#
# Compiles <file.onnx> with paso-opt at build time into lib<name>.so (or
# lib<name>.a with STATIC) and <name>.h in the build tree, and defines the
# imported library target <name>: link it and include "<name>.h". The
# model's ABI names are tagged <name>_paso_*, so several models link into
# one program. The model is compiled again when the .onnx file, paso-opt
# or the options change. TARGET is a paso-opt target (a built-in name or a
# .json file); it defaults to "host", and is required in a cross build,
# where it must match the cross compiler's CPU.
function(paso_add_model name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "STATIC" "MODEL;TARGET" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "paso_add_model(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "paso_add_model(${name}): MODEL <file.onnx> is required")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
                         BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${model}")
    message(FATAL_ERROR "paso_add_model(${name}): no model file ${model}")
  endif()
  if(NOT ARG_TARGET)
    if(CMAKE_CROSSCOMPILING)
      message(FATAL_ERROR "paso_add_model(${name}): TARGET is required in a "
        "cross build (for example TARGET rpi4 for aarch64)")
    endif()
    set(ARG_TARGET host)
  endif()
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/paso_models/${name}")
  # The include directory must exist when the build system is generated.
  file(MAKE_DIRECTORY "${dir}")
  if(ARG_STATIC)
    set(library "${dir}/lib${name}.a")
  else()
    set(library "${dir}/lib${name}.so")
  endif()
  set(header "${dir}/${name}.h")
  add_custom_command(
    OUTPUT "${library}" "${header}"
    COMMAND PASO::paso-opt "${model}" "-target=${ARG_TARGET}"
            "--model-tag=${name}" ${ARG_OPTIONS} -o "${library}"
    # paso-opt names the header after the library: lib<name>.h.
    COMMAND "${CMAKE_COMMAND}" -E rename "${dir}/lib${name}.h" "${header}"
    DEPENDS "${model}" PASO::paso-opt
    COMMENT "Compiling ONNX model ${name} for ${ARG_TARGET} with PASO"
    VERBATIM)
  add_custom_target(${name}_paso_compile DEPENDS "${library}" "${header}")
  if(ARG_STATIC)
    # The model's runtime calls libm and starts pthreads.
    find_package(Threads REQUIRED)
    add_library(${name} STATIC IMPORTED GLOBAL)
    set_target_properties(${name} PROPERTIES
      INTERFACE_LINK_LIBRARIES "m;Threads::Threads")
  else()
    add_library(${name} SHARED IMPORTED GLOBAL)
    set_target_properties(${name} PROPERTIES IMPORTED_SONAME "lib${name}.so")
  endif()
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION "${library}"
    INTERFACE_INCLUDE_DIRECTORIES "${dir};${PASO_INCLUDE_DIR}")
  add_dependencies(${name} ${name}_paso_compile)
endfunction()
