# Include roots, one per part library. The source tree's src/ is on no include path: a library
# links its part's headers (all of them, or the subset it offers) into a root of its own under
# the build tree, and only targets that link the library see that root. A part that includes a
# header of a part it does not link fails to compile, so the build holds the one-way arrows of
# docs/architecture.md (web, SCADA and history see the engine's consumer contract, never the
# engine).

# btms_part_root(<target> <part>): every header of src/<part> (subfolders included), seen by
# <target> and whoever links it.
function(btms_part_root target part)
  set(root ${CMAKE_BINARY_DIR}/include_roots/${part})
  if(NOT IS_SYMLINK ${root}/${part})
    file(MAKE_DIRECTORY ${root})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${part} ${root}/${part} SYMBOLIC)
  endif()
  target_include_directories(${target} PUBLIC ${root})
endfunction()

# btms_part_headers(<target> <INTERFACE|PUBLIC> <part> <root name> <header>...): only the
# listed headers of src/<part>, under the include root <root name>.
function(btms_part_headers target scope part root_name)
  set(root ${CMAKE_BINARY_DIR}/include_roots/${root_name})
  file(MAKE_DIRECTORY ${root}/${part})
  foreach(header IN LISTS ARGN)
    if(NOT EXISTS ${CMAKE_SOURCE_DIR}/src/${part}/${header})
      message(FATAL_ERROR "btms_part_headers: src/${part}/${header} does not exist")
    endif()
    if(NOT IS_SYMLINK ${root}/${part}/${header})
      file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${part}/${header} ${root}/${part}/${header}
           SYMBOLIC)
    endif()
  endforeach()
  target_include_directories(${target} ${scope} ${root})
endfunction()
