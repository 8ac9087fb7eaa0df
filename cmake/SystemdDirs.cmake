# Install directories of systemd and udev, from their pkg-config files with
# our install prefix applied (so a /usr/local build stays under /usr/local),
# each overridable as a cache variable.
find_package(PkgConfig REQUIRED)

function(basicdm_pkg_dir var module pcvar default help)
  if(DEFINED CACHE{${var}})
    return()
  endif()
  execute_process(
    COMMAND ${PKG_CONFIG_EXECUTABLE} "--define-variable=prefix=${CMAKE_INSTALL_PREFIX}"
            "--define-variable=root_prefix=${CMAKE_INSTALL_PREFIX}" "--variable=${pcvar}" ${module}
    OUTPUT_VARIABLE dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(NOT rc EQUAL 0 OR dir STREQUAL "")
    set(dir "${default}")
  endif()
  set(${var} "${dir}" CACHE PATH "${help}")
endfunction()

basicdm_pkg_dir(SYSTEMD_SYSTEM_UNIT_DIR systemd systemdsystemunitdir
  "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" "systemd system unit directory")
basicdm_pkg_dir(SYSTEMD_MODULES_LOAD_DIR systemd modulesloaddir
  "${CMAKE_INSTALL_PREFIX}/lib/modules-load.d" "modules-load.d directory")
basicdm_pkg_dir(UDEV_DIR udev udevdir "${CMAKE_INSTALL_PREFIX}/lib/udev" "udev directory (rules go to rules.d in it)")
basicdm_pkg_dir(SYSTEMD_SYSTEM_GENERATOR_DIR systemd systemdsystemgeneratordir
  "${CMAKE_INSTALL_PREFIX}/lib/systemd/system-generators" "systemd system generator directory")
