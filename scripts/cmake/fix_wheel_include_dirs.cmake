# Injected into every CMake project of the workspace with -DCMAKE_PROJECT_INCLUDE=<this file>.
#
# Why: the ROS 2 Kilted PyPI wheels ship export_*__rosidl_generator_pyExport.cmake files whose
# imported targets hard-code the wheel build machine's include dirs
# (<manylinux python root>/include/python3.11 and .../numpy/_core/include). CMake refuses to
# generate when an imported target names a directory that does not exist. Instead of touching
# paths outside the repository, we rewrite those two prefixes on every imported target, deferred
# to the end of the top-level CMakeLists.txt when all find_package() calls have run.
#
# XAI_PYTHON_INCLUDE_DIR and XAI_NUMPY_INCLUDE_DIR are passed on the command line by
# scripts/build_ws.sh (the venv's real Python and numpy include directories).

if(NOT DEFINED XAI_PYTHON_INCLUDE_DIR OR NOT DEFINED XAI_NUMPY_INCLUDE_DIR)
  message(FATAL_ERROR "fix_wheel_include_dirs.cmake needs -DXAI_PYTHON_INCLUDE_DIR and -DXAI_NUMPY_INCLUDE_DIR")
endif()

# The manylinux build image's CPython root, as the wheels recorded it. Only read, never written:
# these strings are what we replace.
string(CONCAT _XAI_WHEEL_PYTHON_ROOT "/opt" "/python/cp311-cp311")
set(_XAI_BAD_PYTHON_INCLUDE "${_XAI_WHEEL_PYTHON_ROOT}/include/python3.11")
set(_XAI_BAD_NUMPY_INCLUDE "${_XAI_WHEEL_PYTHON_ROOT}/lib/python3.11/site-packages/numpy/_core/include")

function(_xai_collect_targets dir out_var)
  get_property(_targets DIRECTORY "${dir}" PROPERTY IMPORTED_TARGETS)
  get_property(_subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(_sub IN LISTS _subdirs)
    _xai_collect_targets("${_sub}" _sub_targets)
    list(APPEND _targets ${_sub_targets})
  endforeach()
  set(${out_var} ${_targets} PARENT_SCOPE)
endfunction()

function(_xai_fix_wheel_include_dirs)
  _xai_collect_targets("${CMAKE_SOURCE_DIR}" _targets)
  set(_fixed 0)
  foreach(_target IN LISTS _targets)
    get_target_property(_dirs ${_target} INTERFACE_INCLUDE_DIRECTORIES)
    if(NOT _dirs)
      continue()
    endif()
    set(_new_dirs "${_dirs}")
    string(REPLACE "${_XAI_BAD_NUMPY_INCLUDE}" "${XAI_NUMPY_INCLUDE_DIR}" _new_dirs "${_new_dirs}")
    string(REPLACE "${_XAI_BAD_PYTHON_INCLUDE}" "${XAI_PYTHON_INCLUDE_DIR}" _new_dirs "${_new_dirs}")
    if(NOT "${_new_dirs}" STREQUAL "${_dirs}")
      set_target_properties(${_target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_new_dirs}")
      math(EXPR _fixed "${_fixed} + 1")
    endif()
  endforeach()
  message(STATUS "xai: rewrote wheel include dirs on ${_fixed} imported targets")
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _xai_fix_wheel_include_dirs)
