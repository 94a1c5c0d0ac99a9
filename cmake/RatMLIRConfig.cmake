# RatMLIRConfig.cmake: find_package(RatMLIR) for an installed rat-mlir
# (cmake --install <build> --prefix <prefix>; docs/Install.md).
#
# Defines:
#   RatMLIR::rat-compile     the compiler (imported executable)
#   RatMLIR::RatModelHeaders the public headers, rat/Runtime/rat_model.h among
#                            them (an interface target: include directory)
#   RatMLIR::RatRuntimeSession, RatRuntimeSupport, RatRuntimeMain,
#   RatCudaRuntime, RatModelApi
#                            the runtime archives, for C++ programs that
#                            drive a compiled object through the session API
#   RAT_COMPILE_EXECUTABLE, RatMLIR_INCLUDE_DIRS
#   rat_add_model(<name> MODEL <model.json | graph.mlir>
#                 [TARGET cpu|cuda] [OPTIONS <rat-compile options>...])
#                            compiles the model with rat-compile --emit shared
#                            into lib<name>.so in the current binary directory
#                            and defines the imported target <name> (that
#                            library and the headers): link a host program
#                            with it and call the C API.

cmake_minimum_required(VERSION 3.20)
include(CMakeFindDependencyMacro)
find_dependency(Threads)

get_filename_component(_rat_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(RatMLIR_INCLUDE_DIRS "${_rat_prefix}/include")
set(RAT_COMPILE_EXECUTABLE "${_rat_prefix}/bin/rat-compile")

include("${CMAKE_CURRENT_LIST_DIR}/RatMLIRTargets.cmake")

if(NOT TARGET RatMLIR::rat-compile)
  add_executable(RatMLIR::rat-compile IMPORTED)
  set_target_properties(RatMLIR::rat-compile PROPERTIES
    IMPORTED_LOCATION "${RAT_COMPILE_EXECUTABLE}")
endif()
if(NOT TARGET RatMLIR::RatModelHeaders)
  add_library(RatMLIR::RatModelHeaders INTERFACE IMPORTED)
  set_target_properties(RatMLIR::RatModelHeaders PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${RatMLIR_INCLUDE_DIRS}")
endif()

function(rat_add_model name)
  cmake_parse_arguments(ARG "" "MODEL;TARGET" "OPTIONS" ${ARGN})
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "rat_add_model(${name}): MODEL is required")
  endif()
  if(NOT ARG_TARGET)
    set(ARG_TARGET cpu)
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE)
  if(model MATCHES "\\.json$")
    set(input --model "${model}")
  else()
    set(input "${model}")
  endif()
  set(library "${CMAKE_CURRENT_BINARY_DIR}/lib${name}.so")
  add_custom_command(OUTPUT "${library}"
    COMMAND RatMLIR::rat-compile ${input} --target ${ARG_TARGET}
            --emit shared ${ARG_OPTIONS} -o "${library}"
    DEPENDS "${model}" "${RAT_COMPILE_EXECUTABLE}"
    COMMENT "rat-compile ${ARG_MODEL} --emit shared -o lib${name}.so"
    VERBATIM)
  add_custom_target(${name}_rat_library DEPENDS "${library}")
  add_library(${name} SHARED IMPORTED GLOBAL)
  set_target_properties(${name} PROPERTIES
    IMPORTED_LOCATION "${library}"
    IMPORTED_SONAME "lib${name}.so"
    INTERFACE_INCLUDE_DIRECTORIES "${RatMLIR_INCLUDE_DIRS}")
  add_dependencies(${name} ${name}_rat_library)
endfunction()

set(RatMLIR_FOUND TRUE)
