# Header-only dependencies, all from Debian packages (scripts/setup.sh installs them):
#   xtensor-dev, libxsimd-dev, xtl-dev, nlohmann-json3-dev; natively also libcli11-dev, libstb-dev.
#
# They become one INTERFACE target, diffuse_third_party, included as SYSTEM headers so that our
# -Werror applies to our code only.
#
# Under Emscripten we must never add /usr/include (glibc's headers clash with Emscripten's libc), so
# the build tree gets a folder of symbolic links exposing only the libraries we need.

add_library(diffuse_third_party INTERFACE)

set(_diffuse_header_libs xtensor xsimd xtl nlohmann)
foreach(lib IN LISTS _diffuse_header_libs)
  if(NOT EXISTS /usr/include/${lib})
    message(FATAL_ERROR "/usr/include/${lib} is missing: run scripts/setup.sh (npm run setup) first")
  endif()
endforeach()

if(EMSCRIPTEN)
  set(_links ${PROJECT_BINARY_DIR}/third_party_include)
  file(MAKE_DIRECTORY ${_links})
  foreach(lib IN LISTS _diffuse_header_libs)
    file(CREATE_LINK /usr/include/${lib} ${_links}/${lib} SYMBOLIC)
  endforeach()
  target_include_directories(diffuse_third_party SYSTEM INTERFACE ${_links})
else()
  foreach(lib CLI stb)
    if(NOT EXISTS /usr/include/${lib})
      message(FATAL_ERROR "/usr/include/${lib} is missing: run scripts/setup.sh (npm run setup) first")
    endif()
  endforeach()
  # Debian installs them into /usr/include, which is a system directory already.
endif()

# xtensor assigns through xsimd when asked to; both come from Debian (xtensor 0.24 wants xsimd 8).
target_compile_definitions(diffuse_third_party INTERFACE XTENSOR_USE_XSIMD)
