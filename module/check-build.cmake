# Builds basic_target.ko against one kernel build tree, in a scratch copy
# of the sources, with W=1 (and sparse when SPARSE names it); fails on a
# failed build and on any warning, and prints the build's output.
#   cmake -DKDIR=<tree> -DSRC=<module dir> -DSOURCES=<a,b,...> -DVERSION=<x.y.z>
#         -DOUT=<dir> [-DSPARSE=<path>] -P check-build.cmake
foreach(var KDIR SRC SOURCES VERSION OUT)
  if(NOT ${var})
    message(FATAL_ERROR "check-build.cmake: -D${var}= is required")
  endif()
endforeach()

file(REMOVE_RECURSE "${OUT}")
file(MAKE_DIRECTORY "${OUT}")
string(REPLACE "," ";" sources "${SOURCES}")
foreach(f IN LISTS sources)
  file(COPY "${SRC}/${f}" DESTINATION "${OUT}")
endforeach()

set(checker "")
if(SPARSE)
  set(checker C=1 "CHECK=${SPARSE}")
endif()
execute_process(
  COMMAND make -C "${KDIR}" "M=${OUT}" "BASIC_TARGET_VERSION=${VERSION}" W=1 ${checker} modules
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE log
  ERROR_VARIABLE log)
message("${log}")

if(NOT rc EQUAL 0)
  message(FATAL_ERROR "basic_target.ko does not build against ${KDIR} (make: ${rc}); the errors are above")
endif()
string(REGEX MATCHALL "[^\n]*warning:[^\n]*" warnings "${log}")
if(warnings)
  list(JOIN warnings "\n  " warnings)
  message(FATAL_ERROR "basic_target.ko builds against ${KDIR} with warnings; fix them "
                      "(basic_target_compat.h is the place for a kernel API that differs):\n  ${warnings}")
endif()
